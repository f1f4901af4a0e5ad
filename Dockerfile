# The glossary service: nginx on port 8000 in front of gunicorn's workers (slow clients), index
# built at image build time, non-root user.
FROM python:3.11-slim

RUN apt-get update && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1

RUN groupadd --system glossary && useradd --system --gid glossary --home /srv/glossary glossary
WORKDIR /srv/glossary

COPY pyproject.toml README.md ./
COPY index ./index
COPY service ./service
RUN pip install .

COPY glossary.yaml ./
COPY corpus ./corpus
RUN glossary check glossary.yaml \
    && glossary build --glossary glossary.yaml --corpus corpus --index var/index --quiet \
    && chown -R glossary:glossary /srv/glossary

USER glossary
ENV GLOSSARY_SERVICE_BIND=0.0.0.0:8000 GLOSSARY_SERVICE_PROXY=nginx
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["gunicorn", "-c", "service/gunicorn_conf.py", "service:create_app()"]
