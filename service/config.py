"""Settings: defaults the README's run command uses, overridden by the environment.

The one place that reads the environment, for the app, the CLI, gunicorn and the writer process.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any

from index.fetch import FetchPolicy

DEFAULTS: dict[str, Any] = {
    "GLOSSARY_PATH": "glossary.yaml",
    "SOURCES_PATH": "sources.yaml",  # feeds and pages to follow (index/sources.py); none when missing
    "REVIEW_PATH": "review.yaml",  # curators' rejections (index/review.py); none when missing
    "CORPUS_DIR": "corpus",
    "INDEX_DIR": "var/index",
    "DATABASE_URL": None,  # set it to serve from PostgreSQL instead of whoosh
    "WRITE_TOKEN": None,  # without one, document writes are refused
    "MAX_CONTENT_LENGTH": 1_000_000,
    "GLOSSARY_POLL_SECONDS": 0.5,
    "WRITE_WAIT_SECONDS": 10.0,
    "MAX_PAGE_SIZE": 1000,
    "BASE_URI": "https://glossary.example/terms/",  # SKOS concept URIs are BASE_URI + term id
    "RESPONSE_CACHE_SIZE": 512,  # GET /api/ responses kept per worker, keyed by glossary and index versions
    # How often each worker checks whether it should act as the deployment's one background
    # writer (glossary edits, derived data); 0: never (a separate writer process does it).
    "BACKGROUND_WRITER_SECONDS": 0.5,
    "DERIVED_EVERY_SECONDS": 30.0,  # candidate terms are recomputed at most this often after writes
    # Networks the service may fetch from although private (comma-separated CIDRs): an intranet.
    "FETCH_ALLOW": "",
    "FETCH_MAX_BYTES": 5_000_000,  # a fetched page or PDF larger than this is refused
    # Check every API response against its declared contract (the tests turn this on).
    "CHECK_RESPONSES": False,
}

# gunicorn's settings (service/gunicorn_conf.py); WORKERS 0 means one per core.
SERVER_DEFAULTS: dict[str, Any] = {
    "BIND": "127.0.0.1:8000",
    "WORKERS": 0,
    "WORKER_CLASS": "sync",
    "THREADS": 1,
    "ACCESS_LOG": None,  # off unless asked for ("-" = stdout)
    "LOG_LEVEL": "info",
    "WRITER_PROCESS": 1,  # 0: gunicorn's master forks no background writer process
    # "nginx": nginx listens on BIND in front of the workers, for slow clients (service/proxy.py).
    "PROXY": None,
    "PROXY_HEADER_TIMEOUT": 10,  # seconds to send the whole request header
    "PROXY_BODY_TIMEOUT": 10,  # seconds between two reads of a request body
    "PROXY_SEND_TIMEOUT": 30,  # seconds between two writes of an answer to a client
    "PROXY_MAX_CONNECTIONS": 4096,
}

_INTS = {
    "CHECK_RESPONSES",
    "FETCH_MAX_BYTES",
    "MAX_CONTENT_LENGTH",
    "MAX_PAGE_SIZE",
    "RESPONSE_CACHE_SIZE",
    "WORKERS",
    "THREADS",
    "WRITER_PROCESS",
    "PROXY_HEADER_TIMEOUT",
    "PROXY_BODY_TIMEOUT",
    "PROXY_SEND_TIMEOUT",
    "PROXY_MAX_CONNECTIONS",
}
_FLOATS = {"GLOSSARY_POLL_SECONDS", "WRITE_WAIT_SECONDS", "BACKGROUND_WRITER_SECONDS", "DERIVED_EVERY_SECONDS"}


def from_environment(names: Iterable[str] = DEFAULTS, prefix: str = "GLOSSARY_SERVICE_") -> dict[str, Any]:
    """Settings found in the environment, as GLOSSARY_SERVICE_<NAME> (or DATABASE_URL)."""
    found: dict[str, Any] = {}
    for name in names:
        value = os.environ.get(prefix + name)
        if value is None and name == "DATABASE_URL":
            value = os.environ.get("DATABASE_URL")
        if value is None or value == "":
            continue
        found[name] = int(value) if name in _INTS else float(value) if name in _FLOATS else value
    return found


def settings() -> dict[str, Any]:
    """The app's settings: defaults, then the environment."""
    return {**DEFAULTS, **from_environment()}


def fetch_policy(config: Mapping[str, Any]) -> FetchPolicy:
    """What the service may fetch: public addresses, and the private networks FETCH_ALLOW names."""
    allow = str(config.get("FETCH_ALLOW") or "").split(",")
    return FetchPolicy.allowing(allow, max_bytes=int(config.get("FETCH_MAX_BYTES") or DEFAULTS["FETCH_MAX_BYTES"]))


def server_settings() -> dict[str, Any]:
    """gunicorn's settings: defaults, then the environment."""
    return {**SERVER_DEFAULTS, **from_environment(SERVER_DEFAULTS)}
