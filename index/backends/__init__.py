"""Where postings live: one interface (`base`), whoosh on disk and PostgreSQL, and one opener.

The PostgreSQL implementation is imported only when a database URL is given, so that a
whoosh-only deployment never loads the database driver.
"""

from __future__ import annotations

from pathlib import Path

from index.backends.base import (
    SORTS,
    Hit,
    IndexCounts,
    IndexState,
    PassageIndex,
    RematchReport,
    Snapshot,
    StoredPassage,
)
from index.backends.whoosh import WhooshIndex, index_exists

__all__ = [
    "SORTS",
    "Hit",
    "IndexCounts",
    "IndexState",
    "PassageIndex",
    "RematchReport",
    "Snapshot",
    "StoredPassage",
    "WhooshIndex",
    "backend_name",
    "index_exists",
    "open_index",
]


def open_index(index_dir: str | Path, database_url: str | None = None, lazy: bool = False) -> PassageIndex:
    """The deployment's index: PostgreSQL when `database_url` is set, else whoosh in `index_dir`.
    `lazy` (the service): a database that is down at start is retried on use, not fatal."""
    if database_url:
        from index.backends.postgres import PostgresIndex

        return PostgresIndex(database_url, lazy=lazy)
    return WhooshIndex(index_dir)


def backend_name(database_url: str | None) -> str:
    return "postgresql" if database_url else "whoosh"
