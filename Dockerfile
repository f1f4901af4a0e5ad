# The glossary service: nginx on port 8000 in front of gunicorn's sync workers, the sample index
# built at image build time, a non-root user, and everything the service writes on /data.
#
#   docker build -t glossary .          (or podman build; --build-arg BASE=... for another base)
#   docker run -p 8000:8000 -v glossary-data:/data -e GLOSSARY_SERVICE_WRITE_TOKEN=... glossary
#
# One stage: every dependency installs from a wheel (no compiler to leave behind), so a build
# stage would save nothing but pip's cache, which PIP_NO_CACHE_DIR already leaves out.
ARG BASE=python:3.11-slim
FROM ${BASE}

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PATH=/opt/venv/bin:$PATH

# nginx reads slow clients' requests and buffers answers (service/proxy.py); a base may have it.
RUN command -v nginx >/dev/null || { apt-get update \
    && apt-get install -y --no-install-recommends nginx-light \
    && rm -rf /var/lib/apt/lists/*; }

RUN groupadd --system glossary && useradd --system --gid glossary --home /srv/glossary glossary
WORKDIR /srv/glossary

# Dependencies are pinned (==) in pyproject.toml; a virtualenv works on Debian's own Python too.
COPY pyproject.toml README.md ./
COPY index ./index
COPY service ./service
RUN python3 -m venv /opt/venv && pip install .

COPY glossary.yaml ./sample/glossary.yaml
COPY corpus ./sample/corpus
ENV GLOSSARY_SERVICE_GLOSSARY_PATH=/data/glossary.yaml \
    GLOSSARY_SERVICE_REVIEW_PATH=/data/review.yaml \
    GLOSSARY_SERVICE_SOURCES_PATH=/data/sources.yaml \
    GLOSSARY_SERVICE_CORPUS_DIR=/data/corpus \
    GLOSSARY_SERVICE_INDEX_DIR=/data/index \
    GLOSSARY_SERVICE_BIND=0.0.0.0:8000 \
    GLOSSARY_SERVICE_PROXY=nginx
# The volume starts with the sample and its index (a new named volume is filled from here).
RUN mkdir /data && cp -r sample/glossary.yaml sample/corpus /data/ \
    && glossary check /data/glossary.yaml \
    && glossary build --quiet --glossary /data/glossary.yaml --corpus /data/corpus --index /data/index \
    && chown -R glossary:glossary /data

VOLUME /data
USER glossary
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s \
    CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4)"
CMD ["sh", "service/container-start.sh"]
