"""The per-process objects a running app serves from, and the per-request snapshot store."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import current_app, g

from index import korean
from index.backends import PassageIndex, backend_name, open_index
from index.errors import GlossaryServiceError
from index.library import Library
from index.live import LiveGlossary
from index.poller import SourcePoller
from index.store import Store
from index.writer import BackgroundWriter
from service.config import fetch_policy

log = logging.getLogger(__name__)


@dataclass
class Services:
    live: LiveGlossary
    index: PassageIndex
    library: Library
    writer: BackgroundWriter
    backend: str


def open_services(config: dict[str, Any]) -> Services:
    index = open_index(config["INDEX_DIR"], config["DATABASE_URL"], lazy=True)
    backend = backend_name(config["DATABASE_URL"])
    live = LiveGlossary(
        config["GLOSSARY_PATH"], poll_seconds=config["GLOSSARY_POLL_SECONDS"], review_path=config["REVIEW_PATH"]
    )
    try:
        served = Store(index.snapshot())
    except GlossaryServiceError as exc:  # no index yet, or the database is down: serve 503s, not die
        log.warning("starting without an index to serve: %s", exc)
    else:
        if any(label.lang == "ko" for term in served.glossary for label in term.labels):
            korean.preload(background=True)  # no-op when gunicorn's master loaded it before the fork
        served.snapshot.close()
    lock_dir = Path(config["INDEX_DIR"])
    lock_dir.mkdir(parents=True, exist_ok=True)
    # With PostgreSQL the database is the shared source of truth: no host's folder is.
    library = Library(None if backend == "postgresql" else config["CORPUS_DIR"], index, lock_dir)
    _recover_interrupted_write(library)
    poller = SourcePoller(config["SOURCES_PATH"], library, fetch_policy(config))
    writer = BackgroundWriter(
        index, live, derived_every=config["DERIVED_EVERY_SECONDS"], poller=poller, review_path=config["REVIEW_PATH"]
    )
    if config["BACKGROUND_WRITER_SECONDS"] > 0:
        writer.start(config["BACKGROUND_WRITER_SECONDS"])
    if config["GLOSSARY_POLL_SECONDS"] > 0:
        _watch(live, writer)
    return Services(live, index, library, writer, backend)


def _recover_interrupted_write(library: Library) -> None:
    """A document write that a crash stopped part-way is undone before anything is served.

    Every later write (and `glossary build`) does this too, so a failure here only logs.
    """
    if library.journal is None or library.journal.pending() is None:
        return
    try:
        library.recover(wait_seconds=1.0)
    except Exception:  # noqa: BLE001 - serve what the index holds; the next write retries
        log.exception("could not undo an interrupted document write yet; the next write retries")


def _watch(live: LiveGlossary, writer: BackgroundWriter) -> None:
    """Poll the glossary file in the background, so that /api/status shows a bad edit at once
    and the deployment's writer (perhaps on another host) gets a valid one."""

    def run() -> None:
        while True:
            time.sleep(live.poll_seconds)
            try:
                writer.propose()
            except Exception:  # noqa: BLE001 - a failed poll must not end the watcher
                log.exception("glossary refresh failed; will retry")

    threading.Thread(target=run, name="glossary-watcher", daemon=True).start()


def services() -> Services:
    return current_app.extensions["glossary"]  # type: ignore[no-any-return]


def current_store() -> Store:
    """This request's store: one snapshot (glossary version + postings), pinned until teardown."""
    ctx = g._get_current_object()  # one proxy lookup, not three
    store: Store | None = getattr(ctx, "store", None)
    if store is None:
        store = ctx.store = Store(services().index.snapshot())
    return store


def release_store() -> None:
    found = g.pop("store", None)
    if found is not None:
        found.snapshot.close()
