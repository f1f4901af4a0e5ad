"""The PostgreSQL implementation of the index, for many service hosts on one database.

Same model and same answers as whoosh: documents and passages (with the shared analysis's
keys in a GIN-indexed text[] column, for the writer's candidates and for search), term
postings (one row per term and passage), per-term counts kept beside them, and the glossary
the postings were matched with, in `index_state`. Every write is one transaction that bumps
`index_state.version`; a reader's snapshot is one REPEATABLE READ transaction, so a request
sees one glossary version with the postings made with it.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from importlib import resources
from typing import Any

import orjson
import psycopg
from psycopg import Connection, sql
from psycopg.rows import tuple_row
from psycopg.types.json import set_json_loads
from psycopg_pool import ConnectionPool, PoolTimeout

from index.backends.base import (
    FirstPassages,
    Hit,
    IndexState,
    PassageIndex,
    Progress,
    RematchReport,
    Snapshot,
    StoredPassage,
)
from index.corpus import Document, Passage, parse_document, passage_id
from index.errors import DatabaseUnavailable, IndexOutdated, WriterBusy
from index.glossary import Glossary
from index.matcher import Match, Matcher
from index.postings import (
    CORPUS,
    MATCHER_VERSION,
    DocMatches,
    DocMeta,
    PassageFilter,
    StatsCache,
    StatsDelta,
    TermStats,
    in_text_order,
    label_key,
    match_document,
    pack_matches,
    total_passages,
    unpack_matches,
    without_rejected,
)
from index.text import index_keys
from index.vocabulary import EditPlan, glossary_from_text, matcher_for, plan_edit

log = logging.getLogger(__name__)
MIGRATION_LOCK = 74_201_117  # pg_advisory_lock key: one migrator at a time
WRITER_LOCK = 74_201_118  # pg_advisory_lock key: the one background writer of a deployment
REMATCH_BATCH = 500  # documents re-matched per round of queries
_PASSAGE_COLUMNS = "p.doc, p.ordinal, p.text, d.title, d.date, d.lang, d.source"
_POSTING_COLUMNS = "po.doc, po.ordinal, p.text, d.title, po.date, po.lang, po.source, po.term, po.matches"
_POSTING_FROM = (
    "postings po JOIN passages p ON p.doc = po.doc AND p.ordinal = po.ordinal JOIN documents d ON d.id = po.doc"
)
_ORDER = {
    "newest": "po.date DESC NULLS LAST, po.doc, po.ordinal",
    "oldest": "po.date ASC NULLS LAST, po.doc, po.ordinal",
    "document": "po.doc, po.ordinal",
    "matches": "jsonb_array_length(po.matches) DESC, po.date DESC NULLS LAST, po.doc, po.ordinal",
}
_STATE_COLUMNS = "version, glossary_text, glossary_version, glossary_updated_at, matcher_version, content_version"
_READER_STATE_COLUMNS = _STATE_COLUMNS.replace("glossary_text", "glossary_text IS NOT NULL")
GLOSSARY_TEXTS_KEPT = 4


def remember_text(texts: dict[str, str], glossary_version: str, text: str) -> None:
    """Keep a glossary's text by version, the last few only (dicts keep insertion order)."""
    texts[glossary_version] = text
    while len(texts) > GLOSSARY_TEXTS_KEPT:
        texts.pop(next(iter(texts)), None)  # another thread may have taken it already


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every migration shipped in index/backends/migrations, in order."""
    found = []
    for entry in resources.files("index.backends.migrations").iterdir():
        if entry.name.endswith(".sql"):
            found.append((int(entry.name.split("_", 1)[0]), entry.name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def migrate(conn: Connection[Any]) -> list[str]:
    """Apply the migrations not applied yet; safe to run from many hosts at once."""
    applied = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK,))
        conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (number integer PRIMARY KEY, name text NOT NULL, "
            "applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {row[0] for row in conn.execute("SELECT number FROM schema_migrations")}
        for number, name, text in migrations():
            if number not in done:
                conn.execute(text)
                conn.execute("INSERT INTO schema_migrations (number, name) VALUES (%s, %s)", (number, name))
                applied.append(name)
    return applied


def _date(value: Any) -> str | None:
    return value.isoformat() if value else None


def _passage(row: tuple[Any, ...]) -> StoredPassage:
    doc, ordinal, text, title, date, lang, source = row[:7]
    return StoredPassage(passage_id(doc, ordinal), doc, ordinal, text, title, _date(date), lang, source)


def _hit(row: tuple[Any, ...]) -> Hit:
    return Hit(_passage(row), unpack_matches(row[7], row[8]))


def _state(row: tuple[Any, ...]) -> IndexState:
    _, text, version, updated_at, matcher_version, content_version = row
    if text is None:
        raise IndexOutdated(
            "the database holds no term postings yet (made by an older release); "
            "run `glossary upgrade --database URL` to match its documents"
        )
    return IndexState(text, version, float(updated_at), int(matcher_version), int(content_version))


class PostgresSnapshot(Snapshot):
    """One REPEATABLE READ transaction on one pooled connection, for one request."""

    def __init__(
        self, pool: ConnectionPool, stats_cache: StatsCache, first_passages: FirstPassages, texts: dict[str, str]
    ):
        self._pool = pool
        self._conn: Connection[Any] | None = pool.getconn()
        self._stats_cache = stats_cache
        self._first_passages = first_passages
        try:
            # Both statements in one message: a page costs two round trips, not three. The
            # glossary's text only when this process has not read that version of it yet.
            cursor = self._conn.execute(
                f"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SELECT {_READER_STATE_COLUMNS} FROM index_state"
            )
            cursor.nextset()  # past BEGIN's empty result, to the state row
            row = cursor.fetchone()
            assert row is not None
            version, stored, glossary_version, *rest = row
            text = texts.get(glossary_version) if stored else None
            if text is None and stored:
                text = self._rows("SELECT glossary_text FROM index_state")[0][0]
                remember_text(texts, glossary_version, text)
            self.version = f"pg.{version}"
            self.state = _state((version, text, glossary_version, *rest))
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            with contextlib.suppress(psycopg.Error):
                conn.execute("ROLLBACK")
            self._pool.putconn(conn)

    def _rows(self, query: str | sql.Composed, params: Any = ()) -> list[tuple[Any, ...]]:
        assert self._conn is not None, "snapshot is closed"
        return self._conn.execute(query, params).fetchall()

    def _rows_planned_once(self, query: sql.Composed, params: Any) -> list[tuple[Any, ...]]:
        """Rows of a statement whose generic plan is as good as any custom one, run with the plan
        of the statement psycopg prepared instead of planned again on every call (planning a
        page's three-way join took four times as long as running it). One round trip."""
        assert self._conn is not None, "snapshot is closed"
        with self._conn.pipeline():
            self._conn.execute("SET LOCAL plan_cache_mode = force_generic_plan")
            cursor = self._conn.execute(query, params)
            self._conn.execute("SET LOCAL plan_cache_mode = DEFAULT")
        return cursor.fetchall()

    def term_stats(self, term_id: str) -> TermStats:
        def read() -> TermStats:
            rows = self._rows("SELECT stats FROM term_stats WHERE term = %s", (term_id,))
            return TermStats.from_json(rows[0][0] if rows else None)

        return self._stats_cache.get(self.version, term_id, read)

    @staticmethod
    def _filters(where: PassageFilter) -> tuple[list[sql.Composable], list[Any]]:
        parts: list[sql.Composable] = []
        params: list[Any] = []
        for column, op, value in (
            ("doc", "=", where.doc),
            ("date", ">=", where.since),
            ("date", "<=", where.until),
            ("lang", "=", where.lang),
            ("source", "=", where.source),
        ):
            if value:
                parts.append(sql.SQL(f"po.{column} {op} %s"))
                params.append(value)
        return parts, params

    def _where(self, term_id: str, where: PassageFilter) -> tuple[sql.Composed, list[Any]]:
        parts, params = self._filters(where)
        return sql.SQL(" AND ").join([sql.SQL("po.term = %s"), *parts]), [term_id, *params]

    def term_page(
        self, term_id: str, where: PassageFilter, sort: str, offset: int, limit: int
    ) -> tuple[int, list[Hit]]:
        if where.doc:
            condition, params = self._where(term_id, where)
            total = self._rows(sql.SQL("SELECT count(*) FROM postings po WHERE ") + condition, params)[0][0]
        else:
            total = total_passages(self.term_stats(term_id), where)  # memoized on the cached counts
        if sort == "newest" and where.unfiltered:
            first = self._first_passages.get(
                self.version, term_id, lambda: self._page(term_id, where, sort, 0, FirstPassages.SIZE)
            )
            page = FirstPassages.page(first, total, offset, limit)
            if page is not None:
                return total, page
        return int(total), self._page(term_id, where, sort, offset, limit)

    def _page(self, term_id: str, where: PassageFilter, sort: str, offset: int, limit: int) -> list[Hit]:
        condition, params = self._where(term_id, where)
        # LIMIT and OFFSET written into the statement, so that its generic plan walks the term's
        # index for just that many rows.
        query = (
            sql.SQL(f"SELECT {_POSTING_COLUMNS} FROM {_POSTING_FROM} WHERE ")
            + condition
            + sql.SQL(f" ORDER BY {_ORDER[sort]} LIMIT {{}} OFFSET {{}}").format(
                sql.Literal(limit), sql.Literal(offset)
            )
        )
        return [_hit(r) for r in self._rows_planned_once(query, params)]

    def shared_example(self, term_id: str, other_id: str) -> Hit | None:
        # Walk the rarer term's postings newest first, probing the other's primary key.
        sizes = {t: sum(g[0] for g in self.term_stats(t).groups.values()) for t in (term_id, other_id)}
        walk, probe = (term_id, other_id) if sizes[term_id] <= sizes[other_id] else (other_id, term_id)
        rows = self._rows(
            "SELECT w.doc, w.ordinal FROM postings w JOIN postings o ON o.term = %s AND o.doc = w.doc "
            "AND o.ordinal = w.ordinal WHERE w.term = %s ORDER BY w.date DESC NULLS LAST, w.doc, w.ordinal LIMIT 1",
            (probe, walk),
        )
        if not rows:
            return None
        found = self._rows(
            f"SELECT {_POSTING_COLUMNS} FROM {_POSTING_FROM} WHERE po.term = %s AND po.doc = %s AND po.ordinal = %s",
            (term_id, *rows[0]),
        )
        return _hit(found[0]) if found else None

    def cooccurrence(self, term_id: str, where: PassageFilter) -> Counter[str]:
        if where.unfiltered:
            return Counter(self.term_stats(term_id).cooc)
        condition, params = self._where(term_id, where)
        query = (
            sql.SQL(
                "SELECT o.term, count(*) FROM postings po JOIN postings o ON o.doc = po.doc "
                "AND o.ordinal = po.ordinal AND o.term <> po.term WHERE "
            )
            + condition
            + sql.SQL(" GROUP BY o.term")
        )
        return Counter(dict(self._rows(query, params)))

    def uses(self, term_ids: list[str], labels: list[tuple[str, str]], where: PassageFilter) -> list[Hit]:
        if not term_ids and not labels:
            return []
        wanted: dict[str, set[str]] = {}
        for term_id, label in labels:
            wanted.setdefault(term_id, set()).add(label)
        parts, params = self._filters(where)
        condition = sql.SQL(" AND ").join([sql.SQL("(po.term = ANY(%s) OR po.labels && %s)"), *parts])
        hits = []
        for row in self._rows(
            sql.SQL(f"SELECT {_POSTING_COLUMNS} FROM {_POSTING_FROM} WHERE ") + condition,
            [term_ids, [label_key(t, lb) for t, lb in labels], *params],
        ):
            hit = _hit(row)
            term_id = row[7]
            if term_id in term_ids or any(m.label in wanted.get(term_id, ()) for m in hit.matches):
                hits.append(hit)
        hits.sort(key=lambda h: h.passage.sort_key_newest_first())
        return hits

    def search(self, groups: list[list[str]], limit: int) -> list[StoredPassage]:
        if not groups:
            return []
        where = sql.SQL(" AND ").join(sql.SQL("p.keys && %s") for _ in groups)
        query = (
            sql.SQL(f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc WHERE ")
            + where
            + sql.SQL(" ORDER BY d.date DESC NULLS LAST, p.doc, p.ordinal LIMIT %s")
        )
        return [_passage(r) for r in self._rows(query, [*groups, limit])]

    def get_document(self, doc_id: str) -> Document | None:
        rows = self._rows("SELECT body, markdown FROM documents WHERE id = %s", (doc_id,))
        return parse_document(doc_id, rows[0][0], markdown=rows[0][1]) if rows else None

    def doc_matches(self, doc_id: str) -> DocMatches | None:
        assert self._conn is not None, "snapshot is closed"
        return next((dm for _, dm in _stored_documents(self._conn, [doc_id])), None)

    def document_passages(self, doc_id: str) -> list[tuple[StoredPassage, tuple[Match, ...]]]:
        passages = [
            _passage(r)
            for r in self._rows(
                f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc WHERE p.doc = %s "
                "ORDER BY p.ordinal",
                (doc_id,),
            )
        ]
        dm = self.doc_matches(doc_id)
        matches = dict(dm.passages) if dm else {}
        return [(p, matches.get(p.ordinal, ())) for p in passages]

    def document_ids(self) -> dict[str, str]:
        return dict(self._rows("SELECT id, checksum FROM documents"))

    def all_passages(self) -> Iterator[StoredPassage]:
        assert self._conn is not None
        with self._conn.cursor(name="all_passages") as cursor:
            cursor.itersize = 2000
            cursor.execute(
                f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc ORDER BY p.doc, p.ordinal"
            )
            for row in cursor:
                yield _passage(row)

    def recent_passages(self, limit: int) -> Iterator[StoredPassage]:
        rows = self._rows(
            f"SELECT {_PASSAGE_COLUMNS} FROM passages p JOIN documents d ON d.id = p.doc "
            "WHERE p.doc IN (SELECT id FROM documents ORDER BY date DESC NULLS LAST, id LIMIT %s) "
            "ORDER BY d.date DESC NULLS LAST, p.doc, p.ordinal",
            (limit,),
        )
        for count, row in enumerate(rows, 1):
            yield _passage(row)
            if count >= limit:
                return

    def derived(self, name: str) -> dict[str, Any] | None:
        rows = self._rows("SELECT content_version, computed_at, data FROM derived WHERE name = %s", (name,))
        if not rows:
            return None
        return {"content_version": rows[0][0], "computed_at": rows[0][1], "data": rows[0][2]}


_POSTING_ROW = "term, doc, ordinal, date, lang, source, labels, matches"


def _posting_row(term_id: str, meta: DocMeta, ordinal: int, matches: tuple[Match, ...]) -> tuple[Any, ...]:
    """A row of `postings` (columns _POSTING_ROW): one term's matches in one passage."""
    labels = sorted({label_key(term_id, m.label) for m in matches})
    return (term_id, meta.id, ordinal, meta.date, meta.lang, meta.source, labels, json.dumps(pack_matches(matches)))


def _stored_documents(conn: Connection[Any], doc_ids: list[str]) -> Iterator[tuple[Document, DocMatches]]:
    """Each document as it was parsed when written (its stored passages), with its matches."""
    metas = {
        r[0]: r[1:]
        for r in conn.execute(
            "SELECT id, title, date, lang, source, url, markdown FROM documents WHERE id = ANY(%s)", (doc_ids,)
        ).fetchall()
    }
    texts: dict[str, list[tuple[int, str]]] = {}
    for doc, ordinal, text in conn.execute(
        "SELECT doc, ordinal, text FROM passages WHERE doc = ANY(%s) ORDER BY doc, ordinal", (doc_ids,)
    ).fetchall():
        texts.setdefault(doc, []).append((ordinal, text))
    matches: dict[str, dict[int, list[Match]]] = {}
    for doc, term_id, ordinal, stored in conn.execute(
        "SELECT doc, term, ordinal, matches FROM postings WHERE doc = ANY(%s)", (doc_ids,)
    ).fetchall():
        matches.setdefault(doc, {}).setdefault(ordinal, []).extend(unpack_matches(term_id, stored))
    for doc_id in doc_ids:
        if doc_id not in metas:
            continue  # deleted since the candidates were found
        title, date, lang, source, url, markdown = metas[doc_id]
        passages = tuple(Passage(passage_id(doc_id, o), doc_id, o, t) for o, t in texts.get(doc_id, []))
        document = Document(doc_id, "", title, _date(date), source, url, lang, passages, markdown=markdown)
        per_passage = matches.get(doc_id, {})
        yield (
            document,
            DocMatches(
                DocMeta(doc_id, _date(date), lang, source, len(passages)),
                tuple((o, in_text_order(ms)) for o, ms in sorted(per_passage.items())),
            ),
        )


def _safe(url: str) -> str:
    """The URL without its password, for messages."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", url)


def _reason(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[-1]


def _configure(conn: Connection[Any]) -> None:
    # orjson reads the matches' JSON of a page's rows several times faster than the json module.
    set_json_loads(orjson.loads, conn)


def _answers(conn: Connection[Any]) -> bool:
    """Whether a connection still works (closed when it does not)."""
    try:
        conn.execute("SELECT 1")
    except psycopg.Error:
        conn.close()
        return False
    return True


class _Outage:
    """Fail fast while the database is down, instead of every request waiting on the pool.

    Once a request finds the database unreachable, the others are refused at once (503) for
    `PROBE_EVERY` seconds; then one request probes with a fresh connection, and when that
    succeeds the pool is renewed and requests go through again.
    """

    PROBE_EVERY = 1.0
    PROBE_SECONDS = 2

    def __init__(self, url: str, renew_pool: Callable[[], None]):
        self._url = url
        self._renew_pool = renew_pool
        self._lock = threading.Lock()
        self._reason: str | None = None
        self._next_probe = 0.0

    def begin(self, exc: BaseException) -> None:
        with self._lock:
            if self._reason is None:
                log.warning("the database at %s is unreachable: %s", _safe(self._url), _reason(exc))
            self._reason = _reason(exc)
            self._next_probe = time.monotonic() + self.PROBE_EVERY

    def check(self) -> None:
        """Raise DatabaseUnavailable at once while the database is known to be down."""
        if self._reason is None:
            return
        if time.monotonic() < self._next_probe:
            raise DatabaseUnavailable(f"cannot reach the database at {_safe(self._url)}: {self._reason}")
        # One thread probes; another (the background writer's) waits for its answer, at most
        # as long as a probe can take, instead of failing while the database is back.
        if not self._lock.acquire(timeout=self.PROBE_SECONDS + 1):
            raise DatabaseUnavailable(f"cannot reach the database at {_safe(self._url)}: {self._reason}")
        try:
            if self._reason is None:  # the other thread's probe found it back
                return
            self._next_probe = time.monotonic() + self.PROBE_EVERY
            try:
                psycopg.connect(self._url, connect_timeout=self.PROBE_SECONDS).close()
            except psycopg.OperationalError as exc:
                self._reason = _reason(exc)
                raise DatabaseUnavailable(f"cannot reach the database at {_safe(self._url)}: {self._reason}") from None
            # A fresh pool, not pool.check(): the old pool's own reconnect attempts back off
            # (1, 2, 4, 8 s...), so requests would wait on them and time out well after recovery.
            self._renew_pool()
            log.warning("the database at %s is reachable again", _safe(self._url))
            self._reason = None
        finally:
            self._lock.release()


class PostgresIndex(PassageIndex):
    """Reads and writes documents, postings and counts in PostgreSQL through a connection pool."""

    def __init__(
        self,
        url: str,
        min_size: int = 1,
        max_size: int = 4,
        connect_seconds: float = 10.0,
        wait_seconds: float = 3.0,
        lazy: bool = False,
    ):
        """`lazy`: a database that cannot be reached yet is not an error here (a service starts
        anyway and answers 503 until it can); every use tries again, waiting `wait_seconds`."""
        self.url = url
        self._wait_seconds = wait_seconds
        self._pool_sizes = (min_size, max_size)
        self._pool = self._new_pool()
        self._ready = False
        self._ready_lock = threading.Lock()
        self._outage = _Outage(url, self._renew_pool)
        try:
            self._ensure_ready(connect_seconds)
        except DatabaseUnavailable:
            if not lazy:
                self._pool.close()
                raise
            log.warning("the database at %s cannot be reached yet; will retry on use", _safe(url))
        self._lock = threading.Lock()
        self._stats = StatsCache()
        self._first_passages = FirstPassages()
        self._glossary_texts: dict[str, str] = {}  # glossary version -> its text, as the database holds it
        self._writer_conn: Connection[Any] | None = None
        self._holds_writer_lock = False

    def _new_pool(self) -> ConnectionPool[Any]:
        min_size, max_size = self._pool_sizes
        # `timeout`: how long a request waits for a connection before it fails (503, not a hang).
        pool: ConnectionPool[Any] = ConnectionPool(
            self.url,
            min_size=min_size,
            max_size=max_size,
            open=False,
            timeout=self._wait_seconds,
            kwargs={"autocommit": True, "row_factory": tuple_row},
            configure=_configure,
        )
        pool.open(wait=False)
        return pool

    def _renew_pool(self) -> None:
        """After an outage: connections in use go back to (and are closed by) the old pool."""
        old, self._pool = self._pool, self._new_pool()
        old.close(timeout=0)

    def _ensure_ready(self, seconds: float) -> None:
        """Connect and apply the migrations once; DatabaseUnavailable while the server is down."""
        with self._ready_lock:
            if self._ready:
                return
            try:
                with self._pool.connection(timeout=seconds) as conn:
                    migrate(conn)
            except (PoolTimeout, psycopg.OperationalError) as exc:
                raise DatabaseUnavailable(f"cannot reach the database at {_safe(self.url)}: {_reason(exc)}") from None
            self._ready = True

    @property
    def pool(self) -> ConnectionPool[Any]:
        if not self._ready:
            self._ensure_ready(self._wait_seconds)
        self._outage.check()
        return self._pool

    def ready(self) -> bool:
        """Whether the database answers now (for a readiness check)."""
        try:
            with self.pool.connection() as conn:
                conn.execute("SELECT 1")
        except (PoolTimeout, psycopg.OperationalError) as exc:
            self._outage.begin(exc)
            return False
        except DatabaseUnavailable:
            return False
        return True

    def _rows(self, query: str | sql.Composed, params: Any = ()) -> list[tuple[Any, ...]]:
        with self.pool.connection() as conn:
            rows: list[tuple[Any, ...]] = conn.execute(query, params).fetchall()
        return rows

    def version(self) -> str:
        return f"pg.{self._rows('SELECT version FROM index_state')[0][0]}"

    def is_fresh(self) -> bool:
        row = self._rows("SELECT glossary_text IS NULL AND NOT EXISTS (SELECT 1 FROM documents) FROM index_state")
        return bool(row[0][0])

    def snapshot(self) -> PostgresSnapshot:
        try:
            return PostgresSnapshot(self.pool, self._stats, self._first_passages, self._glossary_texts)
        except (PoolTimeout, psycopg.OperationalError) as exc:
            self._outage.begin(exc)
            raise DatabaseUnavailable(f"cannot reach the database at {_safe(self.url)}: {_reason(exc)}") from None

    # -- writing ---------------------------------------------------------------------------
    @staticmethod
    def _lock_writers(conn: Connection[Any], wait_seconds: float) -> tuple[Any, ...]:
        """Take the writers' row lock (one writer at a time, across hosts); returns the state row."""
        conn.execute("SELECT set_config('lock_timeout', %s, true)", (f"{max(1, int(wait_seconds * 1000))}ms",))
        try:
            row = conn.execute(f"SELECT {_STATE_COLUMNS} FROM index_state FOR UPDATE").fetchone()
        except psycopg.errors.LockNotAvailable:
            raise WriterBusy("another process is writing the index; try again when it has finished") from None
        assert row is not None
        return tuple(row)

    @staticmethod
    def _copy(conn: Connection[Any], documents: list[tuple[Document, DocMatches]]) -> None:
        if not documents:
            return
        with conn.cursor().copy(
            "COPY documents (id, title, date, lang, source, url, body, checksum, markdown) FROM STDIN"
        ) as copy:
            for d, _ in documents:
                copy.write_row((d.id, d.title, d.date, d.lang, d.source, d.url, d.body, d.checksum, d.markdown))
        with conn.cursor().copy("COPY passages (doc, ordinal, text, keys) FROM STDIN") as copy:
            for d, _ in documents:
                for p in d.passages:
                    copy.write_row((d.id, p.ordinal, p.text, sorted(set(index_keys(p.text)))))
        PostgresIndex._copy_postings(conn, [dm for _, dm in documents])

    @staticmethod
    def _copy_postings(
        conn: Connection[Any], matched: list[DocMatches], only: dict[str, set[str]] | None = None
    ) -> None:
        with conn.cursor().copy(f"COPY postings ({_POSTING_ROW}) FROM STDIN") as copy:
            for dm in matched:
                for term_id, hits in dm.by_term().items():
                    if only is not None and term_id not in only.get(dm.meta.id, ()):
                        continue
                    for ordinal, matches in hits:
                        copy.write_row(_posting_row(term_id, dm.meta, ordinal, matches))

    @staticmethod
    def _apply_stats(conn: Connection[Any], delta: StatsDelta) -> None:
        terms = sorted(delta.terms)
        if not terms:
            return
        stored = dict(
            conn.execute("SELECT term, stats FROM term_stats WHERE term = ANY(%s) FOR UPDATE", (terms,)).fetchall()
        )
        for term_id in terms:
            merged = TermStats.from_json(stored.get(term_id)).merged(delta.terms[term_id])
            if merged.is_empty() and term_id != CORPUS:
                conn.execute("DELETE FROM term_stats WHERE term = %s", (term_id,))
            else:
                conn.execute(
                    "INSERT INTO term_stats (term, stats) VALUES (%s, %s) ON CONFLICT (term) "
                    "DO UPDATE SET stats = EXCLUDED.stats",
                    (term_id, json.dumps(merged.to_json())),
                )

    @staticmethod
    def _bump(conn: Connection[Any], glossary: Glossary | None = None) -> None:
        if glossary is None:
            conn.execute("UPDATE index_state SET version = version + 1, content_version = content_version + 1")
        else:
            conn.execute(
                "UPDATE index_state SET version = version + 1, content_version = content_version + 1, "
                "glossary_text = %s, glossary_version = %s, glossary_updated_at = %s, matcher_version = %s",
                (glossary.text, glossary.version, time.time(), MATCHER_VERSION),
            )

    def write(self, put: Iterable[Document] = (), delete: Iterable[str] = (), wait_seconds: float = 10.0) -> None:
        """One transaction: committed (and so durable and visible to every host) on return."""
        put, delete = list(put), list(delete)
        with self.pool.connection() as conn, conn.transaction():
            state = _state(self._lock_writers(conn, wait_seconds))
            matcher = matcher_for(glossary_from_text(state.glossary_text))
            delta = StatsDelta()
            ids = list(dict.fromkeys(delete + [d.id for d in put]))
            for _, old in _stored_documents(conn, ids):
                delta.add(old, -1)
            if ids:
                conn.execute("DELETE FROM documents WHERE id = ANY(%s)", (ids,))
            latest = {d.id: d for d in put}  # the last version of a document named twice
            matched = [(d, match_document(d, matcher)) for d in latest.values()]
            for _, dm in matched:
                delta.add(dm, +1)
            self._copy(conn, matched)
            self._apply_stats(conn, delta)
            self._bump(conn)

    def replace_all(
        self,
        documents: Iterable[Document],
        glossary: Glossary,
        on_document: Callable[[Document], None] | None = None,
        procs: int = 1,
        batch: int = 500,
    ) -> int:
        """Replace the whole corpus with COPY in batches, postings and counts included (one
        process: the database, not the matching, is the bottleneck here)."""
        loaded = 0
        matcher = matcher_for(glossary)
        delta = StatsDelta()
        with self.pool.connection() as conn:
            with conn.transaction():
                conn.execute("SELECT 1 FROM index_state FOR UPDATE")
                conn.execute("TRUNCATE documents, term_stats, derived CASCADE")
                pending: list[tuple[Document, DocMatches]] = []
                for doc in documents:
                    dm = match_document(doc, matcher)
                    delta.add(dm, +1)
                    pending.append((doc, dm))
                    if on_document:
                        on_document(doc)
                    if len(pending) >= batch:
                        self._copy(conn, pending)
                        loaded += len(pending)
                        pending = []
                self._copy(conn, pending)
                loaded += len(pending)
                delta.terms.setdefault(CORPUS, TermStats())
                self._apply_stats(conn, delta)
                self._bump(conn, glossary)
            for table in ("documents", "passages", "postings"):
                conn.execute(f"ANALYZE {table}")
        return loaded

    def rematch(
        self, glossary: Glossary, progress: Progress | None = None, wait_seconds: float = 10.0, everything: bool = False
    ) -> RematchReport:
        with self.pool.connection() as conn:
            row = conn.execute(f"SELECT {_STATE_COLUMNS} FROM index_state").fetchone()
            assert row is not None
            state = _state(row) if row[1] is not None else None
        same_rules = state is not None and state.matcher_version == MATCHER_VERSION and not everything
        old = glossary_from_text(state.glossary_text) if state and same_rules else None
        plan = plan_edit(old, glossary)
        matcher = matcher_for(glossary)
        with self.pool.connection() as conn, conn.transaction():
            self._lock_writers(conn, wait_seconds)
            if plan.key_sets is None:
                checked, changed = self._rematch_documents(conn, matcher, progress)
            else:
                checked, changed = self._rematch_passages(conn, plan, matcher, progress)
            if state is None:  # an upgraded database: counts for the corpus as a whole too
                self._recount_corpus(conn)
            self._bump(conn, glossary)
        return RematchReport(glossary.version, checked, changed, rebuilt=plan.key_sets is None)

    def _rematch_documents(self, conn: Connection[Any], matcher: Matcher, progress: Progress | None) -> tuple[int, int]:
        """Every document matched again (new matching rules, or no previous glossary)."""
        docs = [r[0] for r in conn.execute("SELECT id FROM documents ORDER BY id").fetchall()]
        delta = StatsDelta()
        rewritten: list[DocMatches] = []
        only: dict[str, set[str]] = {}
        checked = 0
        for start in range(0, len(docs), REMATCH_BATCH):
            # A batch of documents in three queries, not three a document.
            batch = docs[start : start + REMATCH_BATCH]
            gone: list[tuple[str, str]] = []  # (doc, term) whose postings are rewritten
            for stored, old_dm in _stored_documents(conn, batch):
                new_dm = match_document(stored, matcher)
                if not new_dm.same_as(old_dm):
                    before, after = old_dm.by_term(), new_dm.by_term()
                    terms = {t for t in before.keys() | after.keys() if before.get(t) != after.get(t)}
                    gone.extend((stored.id, t) for t in terms)
                    only[stored.id] = terms
                    rewritten.append(new_dm)
                    delta.add(old_dm, -1)
                    delta.add(new_dm, +1)
            if gone:
                conn.execute(
                    "DELETE FROM postings po USING unnest(%s::text[], %s::text[]) AS x(doc, term) "
                    "WHERE po.doc = x.doc AND po.term = x.term",
                    ([d for d, _ in gone], [t for _, t in gone]),
                )
            checked += len(batch)
            if progress:
                progress(checked, len(docs))
        self._copy_postings(conn, rewritten, only)
        self._apply_stats(conn, delta)
        return checked, len(rewritten)

    def _rematch_passages(
        self, conn: Connection[Any], plan: EditPlan, matcher: Matcher, progress: Progress | None
    ) -> tuple[int, int]:
        """A glossary edit: only the passages holding the changed labels' word keys (and words)
        are matched again, and only their postings rows that change are rewritten."""
        if not plan.key_sets:
            return 0, 0
        where = sql.SQL(" OR ").join(sql.SQL("keys @> %s") for _ in plan.key_sets)
        found = conn.execute(sql.SQL("SELECT doc, ordinal, text FROM passages WHERE ") + where, plan.key_sets)
        candidates: dict[str, dict[int, str]] = {}
        for doc, ordinal, text in found.fetchall():
            if plan.may_change(text):
                candidates.setdefault(doc, {})[ordinal] = text
        docs = sorted(candidates)
        delta = StatsDelta()
        changed_docs = 0
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(docs), REMATCH_BATCH):
            batch = docs[start : start + REMATCH_BATCH]
            metas = {
                r[0]: DocMeta(r[0], _date(r[1]), r[2], r[3], 0)
                for r in conn.execute(
                    "SELECT id, date, lang, source FROM documents WHERE id = ANY(%s)", (batch,)
                ).fetchall()
            }
            pairs = [(doc, ordinal) for doc in batch for ordinal in candidates[doc]]
            old: dict[tuple[str, int], dict[str, tuple[Match, ...]]] = {}  # the candidate passages' postings
            for doc, ordinal, term_id, stored in conn.execute(
                "SELECT po.doc, po.ordinal, po.term, po.matches FROM postings po "
                "JOIN unnest(%s::text[], %s::int[]) AS x(doc, ordinal) ON po.doc = x.doc AND po.ordinal = x.ordinal",
                ([d for d, _ in pairs], [o for _, o in pairs]),
            ).fetchall():
                old.setdefault((doc, ordinal), {})[term_id] = unpack_matches(term_id, stored)
            used: dict[str, set[str]] = {}  # per document, the terms its other passages use
            for doc, ordinal, term_id in conn.execute(
                "SELECT doc, ordinal, term FROM postings WHERE doc = ANY(%s)", (batch,)
            ).fetchall():
                if ordinal not in candidates[doc]:
                    used.setdefault(doc, set()).add(term_id)
            gone: list[tuple[str, int, str]] = []  # (doc, ordinal, term) rows rewritten
            for doc in batch:
                if doc not in metas:
                    continue  # deleted meanwhile
                meta, changed = metas[doc], False
                group = meta.group
                before_terms, after_terms = set(used.get(doc, ())), set(used.get(doc, ()))
                for ordinal, text in candidates[doc].items():
                    was = old.get((doc, ordinal), {})
                    found_now = without_rejected(matcher.match(text), text, matcher.rejected)
                    now: dict[str, tuple[Match, ...]] = {}
                    for term_id in dict.fromkeys(m.term for m in found_now):
                        now[term_id] = tuple(m for m in found_now if m.term == term_id)
                    before_terms |= set(was)
                    after_terms |= set(now)
                    if now == was:
                        continue
                    changed = True
                    delta.passages(group, [set(was)] if was else [], -1)
                    delta.passages(group, [set(now)] if now else [], +1)
                    for term_id in was.keys() | now.keys():
                        if was.get(term_id) == now.get(term_id):
                            continue
                        if term_id in was:
                            gone.append((doc, ordinal, term_id))
                        if term_id in now:
                            rows.append(_posting_row(term_id, meta, ordinal, now[term_id]))
                if changed:
                    changed_docs += 1
                    delta.documents(group, before_terms - after_terms, -1)
                    delta.documents(group, after_terms - before_terms, +1)
            if gone:
                conn.execute(
                    "DELETE FROM postings po USING unnest(%s::text[], %s::int[], %s::text[]) AS x(doc, ordinal, term) "
                    "WHERE po.term = x.term AND po.doc = x.doc AND po.ordinal = x.ordinal",
                    ([d for d, _, _ in gone], [o for _, o, _ in gone], [t for _, _, t in gone]),
                )
            if progress:
                progress(min(start + REMATCH_BATCH, len(docs)), len(docs))
        with conn.cursor().copy(f"COPY postings ({_POSTING_ROW}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        self._apply_stats(conn, delta)
        return len(docs), changed_docs

    @staticmethod
    def _recount_corpus(conn: Connection[Any]) -> None:
        stats = TermStats()
        for date, lang, source, passages in conn.execute(
            "SELECT d.date, d.lang, d.source, count(p.ordinal) FROM documents d LEFT JOIN passages p "
            "ON p.doc = d.id GROUP BY d.id"
        ).fetchall():
            group = stats.groups.setdefault((_date(date) or "", lang, source or ""), [0, 0])
            group[0] += passages
            group[1] += 1
        conn.execute(
            "INSERT INTO term_stats (term, stats) VALUES (%s, %s) ON CONFLICT (term) "
            "DO UPDATE SET stats = EXCLUDED.stats",
            (CORPUS, json.dumps(stats.to_json())),
        )

    def store_derived(self, name: str, content_version: int, data: Any) -> None:
        self._rows(
            "INSERT INTO derived (name, content_version, computed_at, data) VALUES (%s, %s, %s, %s) "
            "ON CONFLICT (name) DO UPDATE SET content_version = EXCLUDED.content_version, "
            "computed_at = EXCLUDED.computed_at, data = EXCLUDED.data RETURNING name",
            (name, content_version, time.time(), json.dumps(data)),
        )

    # -- the deployment's one background writer ----------------------------------------------
    def propose_glossary(self, glossary: Glossary, file_mtime: float) -> None:
        # Every host has its own glossary.yaml: the most recently edited one wins.
        self._rows(
            "INSERT INTO shared_glossary (version, text, updated_at) VALUES (%s, %s, to_timestamp(%s)) "
            "ON CONFLICT (only_row) DO UPDATE SET version = EXCLUDED.version, text = EXCLUDED.text, "
            "updated_at = EXCLUDED.updated_at WHERE shared_glossary.updated_at < EXCLUDED.updated_at "
            "RETURNING version",
            (glossary.version, glossary.text, file_mtime),
        )

    def proposed_glossary(self) -> Glossary | None:
        rows = self._rows("SELECT text FROM shared_glossary")
        return glossary_from_text(rows[0][0]) if rows else None

    def try_writer_lock(self) -> bool:
        """Hold the deployment's background-writer lock (a session advisory lock) if it is free.

        The lock lives as long as its connection: if this process dies, or the database drops
        the connection, another process gets it on its next try.
        """
        with self._lock:
            # A restarted server dropped the lock with the connection: ask, don't assume.
            alive = self._writer_conn is not None and _answers(self._writer_conn)
            if self._holds_writer_lock and alive:
                return True
            self._holds_writer_lock = False
            try:
                if not alive:
                    self._writer_conn = psycopg.connect(self.url, autocommit=True, connect_timeout=5)
                assert self._writer_conn is not None
                row = self._writer_conn.execute("SELECT pg_try_advisory_lock(%s)", (WRITER_LOCK,)).fetchone()
            except psycopg.OperationalError:
                return False
            self._holds_writer_lock = row == (True,)
            return self._holds_writer_lock

    def publish_job(self, data: dict[str, Any]) -> None:
        self._rows(
            "INSERT INTO job_status (name, data) VALUES ('writer', %s) ON CONFLICT (name) "
            "DO UPDATE SET data = EXCLUDED.data RETURNING name",
            (json.dumps(data),),
        )

    def job(self) -> dict[str, Any] | None:
        rows = self._rows("SELECT data FROM job_status WHERE name = 'writer'")
        return rows[0][0] if rows else None

    def close(self) -> None:
        if self._writer_conn is not None:
            self._writer_conn.close()
        self._pool.close()
