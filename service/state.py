"""The per-process objects a running app serves from, built once in create_app."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app

from index import korean
from index.backend import PassageIndex
from index.library import Library
from index.live import LiveGlossary
from index.store import Store
from index.whoosh_backend import WhooshIndex

log = logging.getLogger(__name__)


@dataclass
class Services:
    live: LiveGlossary
    store: Store
    library: Library
    backend: str


def open_index(config: dict[str, Any]) -> tuple[PassageIndex, str]:
    if config.get("DATABASE_URL"):
        from index.postgres_backend import PostgresIndex

        return PostgresIndex(config["DATABASE_URL"]), "postgresql"
    return WhooshIndex(config["INDEX_DIR"]), "whoosh"


def open_services(config: dict[str, Any]) -> Services:
    index, backend = open_index(config)
    shared = index if backend == "postgresql" else None  # hosts on one database share the glossary
    live = LiveGlossary(config["GLOSSARY_PATH"], poll_seconds=config["GLOSSARY_POLL_SECONDS"],
                        shared=shared)  # type: ignore[arg-type]
    if any(label.lang == "ko" for term in live.current for label in term.labels):
        korean.preload(background=True)  # ~3 s: better now than in someone's request
    store = Store(index, live.current)
    live.on_change = store.use_glossary
    lock_dir = Path(config["INDEX_DIR"])
    lock_dir.mkdir(parents=True, exist_ok=True)
    # With PostgreSQL the database is the shared source of truth: no host's folder is.
    library = Library(None if backend == "postgresql" else config["CORPUS_DIR"], index, lock_dir)
    if config["GLOSSARY_POLL_SECONDS"] > 0:
        _watch(live)
    return Services(live, store, library, backend)


def _watch(live: LiveGlossary) -> None:
    """Poll the glossary (file, and the shared version) in the background, so that an edit
    is live, and published to other hosts, even when this process gets no requests."""

    def run() -> None:
        while True:
            time.sleep(live.poll_seconds)
            try:
                live.refresh()
            except Exception:  # noqa: BLE001 - a failed poll must not end the watcher
                log.exception("glossary refresh failed; will retry")

    threading.Thread(target=run, name="glossary-watcher", daemon=True).start()


def services() -> Services:
    return current_app.extensions["glossary"]  # type: ignore[no-any-return]
