# The glossary service: gunicorn on port 8000, index built at image build time, non-root user.
FROM python:3.11-slim

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
ENV GLOSSARY_SERVICE_BIND=0.0.0.0:8000
EXPOSE 8000
HEALTHCHECK CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["gunicorn", "-c", "service/gunicorn_conf.py", "service:create_app()"]
