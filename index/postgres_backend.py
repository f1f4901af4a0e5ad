"""The PostgreSQL implementation of the passage index, for many service hosts on one database.

Same interface and same answers as whoosh: passages carry the shared analysis's keys in a
text[] column with a GIN index; a term's candidates are the passages whose keys contain all
keys of one of its labels, and the matcher confirms them. Writes are single transactions that
also bump `index_state.version`, which every host reads to know when its caches are stale.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from typing import Any

from psycopg import Connection, sql
from psycopg.rows import tuple_row
from psycopg_pool import ConnectionPool

from index.backend import IndexCounts, PassageIndex, StoredPassage
from index.corpus import Document, parse_document, passage_id
from index.text import index_keys

MIGRATION_LOCK = 74_201_117  # pg_advisory_lock key: one migrator at a time
_PASSAGE_COLUMNS = "p.doc, p.ordinal, p.text, d.title, d.date, d.lang, d.source"


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped in index/migrations, in order."""
    found = []
    for entry in resources.files("index.migrations").iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn: Connection[Any]) -> list[str]:
    """Apply the migrations not applied yet; safe to run from many hosts at once."""
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (number integer PRIMARY KEY, name text NOT NULL, "
                     "applied_at timestamptz NOT NULL DEFAULT now())")
        done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
        for number, name, text in migrations():
            if number not in done:
                conn.execute(text)  # type: ignore[call-overload]
                conn.execute("INSERT INTO schema_migrations (number, name) VALUES (%s, %s)", (number, name))
                applied.append(name)
    return applied


def _passage(row: tuple[Any, ...]) -> StoredPassage:
    doc, ordinal, text, title, date, lang, source = row
    return StoredPassage(passage_id(doc, ordinal), doc, ordinal, text, title, date.isoformat() if date else None,
                         lang, source)


class PostgresIndex(PassageIndex):
    """Reads and writes documents and passages in PostgreSQL through a connection pool."""

    def __init__(self, url: str, min_size: int = 1, max_size: int = 4):
        self.url = url
        self.pool = ConnectionPool(url, min_size=min_size, max_size=max_size, open=True,
                                   kwargs={"autocommit": True, "row_factory": tuple_row})
        with self.pool.connection() as conn:
            migrate(conn)
        self._counts: tuple[str, IndexCounts] | None = None
        self._per_date: tuple[str, dict[tuple[str, str, str | None], int]] | None = None
        self._lock = threading.Lock()

    def _rows(self, query: str | sql.Composed, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.pool.connection() as conn:
            return conn.execute(query, params).fetchall()  # type: ignore[arg-type]

    def version(self) -> str:
        return f"pg.{self._rows('SELECT version FROM index_state')[0][0]}"

    def counts(self) -> IndexCounts:
        version = self.version()
        if self._counts and self._counts[0] == version:
            return self._counts[1]
        documents, passages = self._rows("SELECT (SELECT count(*) FROM documents), (SELECT count(*) FROM passages)")[0]
        self._counts = (version, IndexCounts(documents, passages))
        return self._counts[1]

    def passages_per_date(self) -> dict[tuple[str, str, str | None], int]:
        version = self.version()
        if self._per_date and self._per_date[0] == version:
            return self._per_date[1]
        rows = self._rows("SELECT d.date, d.lang, d.source, count(*) FROM passages p JOIN documents d ON d.id = p.doc "
                          "WHERE d.date IS NOT NULL GROUP BY 1, 2, 3")
        found = {(date.isoformat(), lang, source): n for date, lang, source, n in rows}
        self._per_date = (version, found)
        return found

    def candidates(self, key_sets: list[list[str]]) -> Iterator[StoredPassage]:
        key_sets = [ks for ks in key_sets if ks]
        if not key_sets:
            return iter(())
        where = sql.SQL(" OR ").join(sql.SQL("p.keys @> %s") for _ in key_sets)
        query = sql.SQL(f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc WHERE ") + where
        return iter([_passage(r) for r in self._rows(query, key_sets)])

    def search(self, groups: list[list[str]], limit: int) -> list[tuple[StoredPassage, float]]:
        if not groups:
            return []
        where = sql.SQL(" AND ").join(sql.SQL("p.keys && %s") for _ in groups)
        query = (sql.SQL(f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc WHERE ") + where
                 + sql.SQL(" ORDER BY d.date DESC NULLS LAST, p.doc, p.ordinal LIMIT %s"))
        return [(_passage(r), 1.0) for r in self._rows(query, [*groups, limit])]

    def all_passages(self) -> Iterator[StoredPassage]:
        with self.pool.connection() as conn, conn.transaction(), conn.cursor(name="all_passages") as cursor:
            cursor.itersize = 2000
            cursor.execute(f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc "
                           "ORDER BY p.doc, p.ordinal")
            rows = [_passage(r) for r in cursor]
        return iter(rows)

    def get_document(self, doc_id: str) -> Document | None:
        rows = self._rows("SELECT body, markdown FROM documents WHERE id = %s", (doc_id,))
        return parse_document(doc_id, rows[0][0], markdown=rows[0][1]) if rows else None

    def document_passages(self, doc_id: str) -> list[StoredPassage]:
        return [_passage(r) for r in self._rows(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc WHERE p.doc = %s "
            "ORDER BY p.ordinal", (doc_id,))]

    def document_ids(self) -> dict[str, str]:
        return dict(self._rows("SELECT id, checksum FROM documents"))  # type: ignore[arg-type]

    def write(self, put: Iterable[Document] = (), delete: Iterable[str] = (), wait_seconds: float = 10.0) -> None:
        """One transaction: committed (and so durable and visible to every host) on return."""
        put, delete = list(put), list(delete)
        with self.pool.connection() as conn, conn.transaction():
            conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{int(wait_seconds * 1000)}ms",))
            ids = delete + [d.id for d in put]
            if ids:
                conn.execute("DELETE FROM documents WHERE id = ANY(%s)", (ids,))
            self._copy(conn, put)
            conn.execute("UPDATE index_state SET version = version + 1")

    @staticmethod
    def _copy(conn: Connection[Any], documents: list[Document]) -> None:
        if not documents:
            return
        with conn.cursor().copy("COPY documents (id, title, date, lang, source, url, body, checksum, markdown) "
                                "FROM STDIN") as copy:
            for d in documents:
                copy.write_row((d.id, d.title, d.date, d.lang, d.source, d.url, d.body, d.checksum, d.markdown))
        with conn.cursor().copy("COPY passages (doc, ordinal, text, keys) FROM STDIN") as copy:
            for d in documents:
                for p in d.passages:
                    copy.write_row((d.id, p.ordinal, p.text, sorted(set(index_keys(p.text)))))

    def bulk_load(self, documents: Iterable[Document], on_document: Callable[[Document], None] | None = None,
                  batch: int = 500) -> int:
        """Replace the whole corpus with COPY in batches of documents; returns the count loaded."""
        loaded = 0
        with self.pool.connection() as conn:
            with conn.transaction():
                conn.execute("TRUNCATE documents CASCADE")
                pending: list[Document] = []
                for doc in documents:
                    pending.append(doc)
                    if on_document:
                        on_document(doc)
                    if len(pending) >= batch:
                        self._copy(conn, pending)
                        loaded += len(pending)
                        pending = []
                self._copy(conn, pending)
                loaded += len(pending)
                conn.execute("UPDATE index_state SET version = version + 1")
            conn.execute("ANALYZE documents")
            conn.execute("ANALYZE passages")
        return loaded

    # -- the glossary shared by every host --------------------------------------------------
    def shared_glossary_version(self) -> str | None:
        rows = self._rows("SELECT version FROM shared_glossary")
        return rows[0][0] if rows else None

    def shared_glossary(self) -> tuple[str, str, float] | None:
        rows = self._rows("SELECT version, text, extract(epoch FROM updated_at) FROM shared_glossary")
        return (rows[0][0], rows[0][1], float(rows[0][2])) if rows else None

    def publish_glossary(self, version: str, text: str) -> None:
        self._rows("INSERT INTO shared_glossary (version, text, updated_at) VALUES (%s, %s, now()) "
                   "ON CONFLICT (only_row) DO UPDATE SET version = EXCLUDED.version, text = EXCLUDED.text, "
                   "updated_at = now() RETURNING version", (version, text))

    def close(self) -> None:
        self.pool.close()


def wait_until_ready(url: str, seconds: float = 30.0) -> None:
    """Block until the server accepts connections (for scripts that start one)."""
    import psycopg

    deadline = time.monotonic() + seconds
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
