"""The per-process objects a running app serves from, built once in create_app."""

from __future__ import annotations

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
    live = LiveGlossary(config["GLOSSARY_PATH"], poll_seconds=config["GLOSSARY_POLL_SECONDS"])
    if any(label.lang == "ko" for term in live.current for label in term.labels):
        korean.preload(background=True)  # ~3 s: better now than in someone's request
    store = Store(index, live.current)
    live.on_change = store.use_glossary
    lock_dir = Path(config["INDEX_DIR"])
    lock_dir.mkdir(parents=True, exist_ok=True)
    library = Library(config["CORPUS_DIR"], index, lock_dir)
    return Services(live, store, library, backend)


def services() -> Services:
    return current_app.extensions["glossary"]  # type: ignore[no-any-return]
