# The glossary service: nginx on port 8000 in front of gunicorn's sync workers, the sample index
# built at image build time, a non-root user, and everything the service writes on /data.
#
#   docker build -t glossary .          (or podman build; --build-arg BASE=... for another base)
#   docker run -p 8000:8000 -v glossary-data:/data -e GLOSSARY_SERVICE_WRITE_TOKEN=... glossary
#
# Two stages: the first compiles the matcher's hot loop (index/_scan.c) into this project's
# wheel; the image itself carries no compiler (gcc, binutils and headers are about 200 MB).
# BUILD_BASE is the first stage's base (by default BASE, where gcc is installed if missing).
ARG BASE=python:3.11-slim
ARG BUILD_BASE=${BASE}

FROM ${BUILD_BASE} AS wheel
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN command -v gcc >/dev/null || { apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*; }
WORKDIR /src
COPY pyproject.toml README.md ./
COPY index ./index
COPY service ./service
# pip treats the extension as optional (a source install without a compiler still works); an
# image without it would match dense text at half the speed, so its absence fails the build.
RUN python3 -m venv /opt/build && /opt/build/bin/pip wheel --no-deps --wheel-dir /wheels . \
    && python3 -c "import glob, sys, zipfile; \
names = zipfile.ZipFile(glob.glob('/wheels/*.whl')[0]).namelist(); \
sys.exit(not any(n.startswith('index/_scan') and n.endswith('.so') for n in names))"

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
# Only the wheel is installed: a copy of index/ here would shadow it (and its compiled loop).
COPY --from=wheel /wheels /tmp/wheels
RUN python3 -m venv /opt/venv && pip install /tmp/wheels/*.whl && rm -rf /tmp/wheels
# The start script and gunicorn's settings, run from here.
COPY service ./service

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
