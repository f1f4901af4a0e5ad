"""The whoosh implementation of the index: documents, term postings and counts in one index.

Layout of an index folder:
    current -> gen-<n>/   symlink to the live whoosh index
    gen-<n>/              whoosh files of one build
    write.lock            flock held by the one writer
A full build (or a re-match of everything) writes a new gen-<n> aside and then switches
`current`; readers notice the switch by the symlink's target and reopen. Document writes and
small re-matches commit into the current generation; readers pick them up with a new searcher.

Records in one whoosh index, told apart by the fields they have:
    document  doc (unique), keys (word keys of all its passages), stored body and passages
    posting   one per (term, document): pterm, pdoc, pkey, tdate (term + date, for paging by
              date), plabel (hashes of the labels used); stored hits [(ordinal, matches)]
    stats     sterm (unique): a term's counts (TermStats), and the corpus's under CORPUS
    state     skey (unique): "state" (glossary text and version, matcher version) and derived
              data ("derived:<name>")
    head      hterm (unique): a term's newest HEAD_SIZE passages, ready to serve, rewritten in
              the commit that changes them: a term's first pages read this one record
Everything a reader needs is in these records: no read matches text.
"""

from __future__ import annotations

import contextlib
import ctypes
import fcntl
import json
import multiprocessing.util
import os
import pickle
import random
import shutil
import signal
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import whoosh.index
import whoosh.util
from whoosh import columns
from whoosh.codec.whoosh3 import W3PerDocReader
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, Schema
from whoosh.query import And, Every, Or, Term
from whoosh.reading import TermNotFound
from whoosh.searching import Searcher
from whoosh.sorting import FieldFacet, MultiFacet

from index.backends.base import (
    SORTS,
    FirstPassages,
    Hit,
    IndexState,
    PassageIndex,
    Progress,
    RematchReport,
    Snapshot,
    StoredPassage,
)
from index.backends.whoosh_columns import read_columns_in_place
from index.corpus import Document, Passage, passage_id
from index.durable import exclusive_lock, fsync_tree, no_space_is_storage_full, replace_symlink, write_atomically
from index.errors import IndexMissing, IndexOutdated
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
    locate_page,
    match_document,
    newest_dates,
    pack_matches,
    total_passages,
    unpack_matches,
)
from index.text import index_keys
from index.vocabulary import EditPlan, glossary_from_text, matcher_for, plan_edit

# whoosh names segments and temporary files with the global `random` module. Anything that
# reseeds it (hypothesis does, between examples) makes two commits pick the same segment name,
# and the second commit fails. Names from the OS's randomness cannot repeat that way.
whoosh.util.random = random.SystemRandom()
read_columns_in_place()  # whoosh copied every large column's offsets into each process's heap


def _cached_column_reader(self: Any, fieldname: str, column: Any) -> Any:
    # whoosh asks for a field's length column once per posting when it writes a segment, and
    # for a field without one (ID and KEYWORD fields) stats the missing file every time: a
    # large share of a build. A segment's length columns never change, so remember that one
    # is missing (only length columns: a missing stored-fields file is an error to see).
    try:
        return self._readers[fieldname]
    except KeyError:
        reader = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
        if reader is not None or fieldname.endswith("_len"):
            self._readers[fieldname] = reader
        return reader


W3PerDocReader._cached_reader = _cached_column_reader

CURRENT = "current"
LOCK = "write.lock"
WRITER_LOCK = "writer.lock"  # held for life by the one process that does background writing
JOB_FILE = "job.json"
COMMITTED = "committed"  # inside a generation: a symlink to the number of its newest commit
BUILDING = "building.lock"  # inside a generation while it is being built, flocked by its builder
WRITE_WAIT_SECONDS = 10.0
# whoosh's in-memory posting pool per writer process: fixed, so that build memory does not
# grow with the corpus (the pool spills sorted runs to disk when full).
WRITER_MEMORY_MB = 16
# Segments as separate files, not one compound file: whoosh reads a compound segment's parts by
# copying them into memory (a worker held the whole stored-fields file of every segment, about
# 900 MB at 1M passages, and copied it again after every write); separate files are read in place.
WRITER_OPTIONS = {"limitmb": WRITER_MEMORY_MB, "compound": False}
# A glossary edit whose candidate documents pass this share of the corpus is re-matched into a
# new generation built aside, so that document writes are not held up while it runs.
# Below the minimum, one commit is quick whatever the share.
ASIDE_SHARE = 0.3
ASIDE_MIN_DOCUMENTS = 2000
# Up to this many shared passages, a shared example is found among all the records naming the
# pair; above it, by walking the term's dates newest first.
_FEW_SHARED = 64
# A term's newest passages kept in its head record: the first pages of the default order (two
# and a half of the API's default size) read one record instead of a walk over dated postings.
HEAD_SIZE = 50
HEAD_CHUNK = 20  # entries pickled together: one chunk holds a page of the default size
# Fields an index made before heads existed lacks; a writer adds them (index.backends.whoosh._add_heads).
HEAD_FIELDS = frozenset({"hterm", "head_column"})


# A passage of a posting record: ((doc, date, lang, source, title), ordinal, matches, text).
Light = tuple[tuple[Any, ...], int, tuple[Match, ...], str]
# The same in a head record, its matches packed: ((doc, date, lang, source, title), ordinal, packed, text).
HeadEntry = tuple[tuple[Any, ...], int, Any, str]


def index_schema() -> Schema:
    # Documents are indexed whole: a document repeats most of its words from paragraph to
    # paragraph, so indexing the union of its passages' keys once costs about a third of
    # indexing each passage. The keys only find candidates for the writer and for search.
    return Schema(
        doc=ID(stored=True, unique=True),
        # Never scored, but scorable: at commit whoosh asks for a field's length column once per
        # posting and, when there is none, stats a missing file every time (a third of a build).
        keys=KEYWORD(scorable=True, lowercase=False),
        title=STORED(),
        date=STORED(),
        lang=STORED(),
        source=STORED(),
        body=STORED(),
        passages=STORED(),
        meta=STORED(),
        date_column=COLUMN(columns.VarBytesColumn()),
        pterm=ID(stored=True),
        pdoc=ID(stored=True),
        pkey=ID(),
        tdate=ID(),
        plabel=KEYWORD(lowercase=False),
        pco=KEYWORD(lowercase=False),  # "term>other" for each other term sharing a passage with it here
        pcod=KEYWORD(lowercase=False),  # the same with the document's date: "term>other\x1fdate"
        hits=STORED(),
        ptexts=STORED(),
        pmeta=STORED(),
        # A page of a term's passages on one date is found from these without reading records.
        pdoc_column=COLUMN(columns.VarBytesColumn()),
        pcount_column=COLUMN(columns.NumericColumn("I")),
        pdate_column=COLUMN(columns.VarBytesColumn()),
        sterm=ID(unique=True),
        stats=STORED(),
        skey=ID(unique=True),
        value=STORED(),
        **_head_fields(),
    )


def _head_fields() -> dict[str, Any]:
    # A column, not a stored field: whoosh compresses stored fields, and unpacking a head's
    # 27 kB took longer than the rest of a page's reading.
    return {"hterm": ID(unique=True), "head_column": COLUMN(columns.VarBytesColumn())}


def _tdate(term_id: str, date: str | None) -> str:
    return f"{term_id}\x1f{date or ''}"


def _document_record(doc: Document) -> dict[str, Any]:
    keys: set[str] = set()
    for p in doc.passages:
        keys.update(index_keys(p.text))
    return {
        "doc": doc.id,
        "keys": " ".join(sorted(keys)),
        "title": doc.title,
        "date": doc.date or "",
        "lang": doc.lang,
        "source": doc.source or "",
        "body": doc.body,
        "passages": [p.text for p in doc.passages],
        "meta": {
            "url": doc.url,
            "checksum": doc.checksum,
            "markdown": doc.markdown,
            "fetched": doc.fetched,
            "author": doc.author,
        },
        "date_column": (doc.date or "").encode(),
    }


def _shares(dm: DocMatches) -> dict[str, set[str]]:
    """Per term, the other terms it shares a passage with in this document."""
    shares: dict[str, set[str]] = {}
    for _, matches in dm.passages:
        here = {m.term for m in matches}
        for term_id in here:
            shares.setdefault(term_id, set()).update(here - {term_id})
    return shares


def _record_contents(dm: DocMatches) -> dict[str, tuple[object, frozenset[str]]]:
    """What each of a document's posting records holds (its hits, and the terms sharing them)."""
    shares = _shares(dm)
    return {t: (tuple(hits), frozenset(shares.get(t, ()))) for t, hits in dm.by_term().items()}


def _posting_records(dm: DocMatches, doc: Document, only: set[str] | None = None) -> Iterator[dict[str, Any]]:
    meta = dm.meta
    texts = {p.ordinal: p.text for p in doc.passages}
    shares = _shares(dm)
    for term_id, hits in dm.by_term().items():
        if only is not None and term_id not in only:
            continue
        labels = {m.label for _, matches in hits for m in matches}
        yield {
            "pterm": term_id,
            "pdoc": meta.id,
            "pkey": f"{term_id}\x1f{meta.id}",
            "tdate": _tdate(term_id, meta.date),
            "plabel": " ".join(sorted(label_key(term_id, lb) for lb in labels)),
            "pco": " ".join(sorted(f"{term_id}>{other}" for other in shares.get(term_id, ()))),
            "pcod": " ".join(sorted(f"{term_id}>{other}\x1f{meta.date or ''}" for other in shares.get(term_id, ()))),
            "hits": [(ordinal, pack_matches(matches)) for ordinal, matches in hits],
            # The passages' text and the title, so that a page of hits reads no document record.
            "ptexts": [texts[ordinal] for ordinal, _ in hits],
            "pmeta": (meta.id, meta.date, meta.lang, meta.source, doc.title),
            "pdoc_column": meta.id.encode(),
            "pdate_column": (meta.date or "").encode(),
            "pcount_column": len(hits),
        }


def _state_record(state: IndexState) -> dict[str, Any]:
    return {"skey": "state", "value": state.as_json()}


def _new_state(glossary: Glossary, content_version: int) -> IndexState:
    return IndexState(glossary.text, glossary.version, time.time(), MATCHER_VERSION, content_version)


def _stored_passages(fields: dict[str, Any]) -> list[StoredPassage]:
    doc = fields["doc"]
    return [
        StoredPassage(
            passage_id(doc, i),
            doc,
            i,
            text,
            fields.get("title", ""),
            fields.get("date") or None,
            fields.get("lang", "en"),
            fields.get("source") or None,
        )
        for i, text in enumerate(fields["passages"], 1)
    ]


def _stored_document(fields: dict[str, Any]) -> Document:
    """The document as it was parsed when it was written (its passages as stored, not re-parsed)."""
    doc_id, meta = fields["doc"], fields["meta"]
    return Document(
        doc_id,
        fields["body"],
        fields.get("title", ""),
        fields.get("date") or None,
        fields.get("source") or None,
        meta.get("url"),
        fields.get("lang", "en"),
        tuple(Passage(passage_id(doc_id, i), doc_id, i, t) for i, t in enumerate(fields["passages"], 1)),
        meta.get("checksum", ""),
        meta.get("markdown", True),
        meta.get("fetched"),
        meta.get("author"),
    )


# -- reading -----------------------------------------------------------------------------------
MAX_REMEMBERED_HEADS = 100_000
VERIFY_SECONDS = 1.0  # how long a reader trusts a generation's commit mark without whoosh's check


class _Pin:
    """A searcher shared by the snapshots that use it; closed when the last one lets go."""

    def __init__(self, searcher: Searcher, version: str, state: IndexState | None):
        self.searcher = searcher
        self.generation = searcher.ixreader.generation()
        self._verified_at = time.monotonic()
        self.version = version
        self.state = state
        self.users = 0
        self.retired = False
        self._columns: dict[str, Any] = {}
        self._columns_lock = threading.Lock()
        self._heads: dict[str, int | None] = {}  # term id -> the number of its head record

    def head_number(self, term_id: str) -> int | None:
        """The number of the term's head record in this searcher, looked up once per searcher:
        a lookup in the term dictionary of every segment cost half of a first page. As many
        entries as the glossary has terms (bounded all the same)."""
        try:
            return self._heads[term_id]
        except KeyError:
            number = _head_number(self.searcher, term_id)
            if len(self._heads) < MAX_REMEMBERED_HEADS:
                self._heads[term_id] = number
            return number

    def column(self, name: str) -> Any:
        with self._columns_lock:
            found = self._columns.get(name)
            if found is None:
                found = self._columns[name] = self.searcher.reader().column_reader(name)
            return found

    def is_current(self, mark: str) -> bool:
        """Whether the generation folder's newest commit is this searcher's: its mark says so,
        and whoosh agreed less than a second ago (a writer killed before it marked its commit
        leaves the mark behind; that commit is then served within a second)."""
        now = time.monotonic()
        if _marked_commit(mark) == self.generation and now - self._verified_at < VERIFY_SECONDS:
            return True
        if not self.searcher.up_to_date():  # lists the folder
            return False
        self._verified_at = now
        return True

    def release(self) -> None:
        self.users -= 1
        if self.retired and self.users <= 0:
            self._close()

    def retire(self) -> None:
        """No new snapshot gets this pin; its searcher closes once the last one lets go."""
        self.retired = True
        if self.users <= 0:
            self._close()

    def _close(self) -> None:
        self.searcher.close()
        _give_back_freed_memory()


def _give_back_freed_memory() -> None:
    """Return the heap a closed searcher freed to the system. A searcher holds megabytes of
    per-segment arrays at 1M passages, and a worker opens a new one after every commit: glibc
    keeps what they freed, so a worker's heap grew with the writes it had seen (13 MB after ten
    writes at 1M passages, given back by this). No-op where the C library has no malloc_trim."""
    if _malloc_trim is not None:
        _malloc_trim(0)


try:
    _malloc_trim: Any = ctypes.CDLL(None).malloc_trim
except (OSError, AttributeError):
    _malloc_trim = None


_COLUMNS = ("date_column", "pdoc_column", "pdate_column", "pcount_column")


def _opened_searcher(ix: Any, attempts: int = 100) -> Searcher:
    """A searcher with every file of its segments open.

    whoosh opens a segment's stored fields and columns on first use, and a concurrent commit
    that merges segments deletes the merged ones' files: a reader that had not opened them yet
    would find them gone. Opened files stay readable after they are deleted, so open them all
    now; if a commit deleted some in between, take the newer generation and try again.
    """
    for attempt in range(attempts):
        searcher = None
        try:
            searcher = ix.searcher()  # reads the newest TOC, which a commit may replace meanwhile
            for segment, _ in searcher.reader().leaf_readers():
                if not segment.doc_count_all():
                    continue
                segment.stored_fields(0)  # a missing stored-fields file raises TypeError here
                segment.doc_field_length(0, "keys")  # the keys' length column (search scores)
                for name in (*_COLUMNS, "head_column"):
                    if name in segment.schema:  # an older release's index lacks some: it is refused after
                        segment.column_reader(name)
            return searcher
        except (OSError, TypeError):
            if searcher is not None:
                searcher.close()
            if attempt == attempts - 1:
                raise
            time.sleep(0.01)
    raise AssertionError("unreachable")


def _numbers(searcher: Searcher, field: str, text: str) -> list[int]:
    """Live document numbers holding `text` in `field`: the reader's postings, without the
    scoring set-up a query costs (most of a lookup's time on these one-term reads)."""
    try:
        return list(searcher.reader().postings(field, text).all_ids())
    except TermNotFound:
        return []


def _head_number(searcher: Searcher, term_id: str) -> int | None:
    found = _numbers(searcher, "hterm", term_id)
    return found[0] if found else None


def _column_value(column: Any, number: int, searcher: Searcher, stored: str) -> Any:
    """A posting record's column value, or the same from its stored fields where whoosh wrote
    a segment's column short (its VarBytes writer can drop the trailing entries)."""
    try:
        return column[number]
    except IndexError:
        fields = searcher.stored_fields(number)
        if stored == "pdoc":
            return fields["pdoc"].encode()
        if stored == "hits":
            return len(fields["hits"])
        return (fields["pmeta"][1] or "").encode()


def _hit(meta: tuple[Any, ...], ordinal: int, matches: tuple[Match, ...], text: str) -> Hit:
    """A hit from a record's passage: meta is (doc, date, lang, source, title)."""
    doc, date, lang, source, title = meta
    return Hit(StoredPassage(passage_id(doc, ordinal), doc, ordinal, text, title, date, lang, source), matches)


def _negated_bytes(value: bytes) -> tuple[int, ...]:
    return tuple(-b for b in value)


def _read_stats(searcher: Searcher, term_id: str) -> TermStats:
    found = _numbers(searcher, "sterm", term_id)
    return TermStats.from_json(searcher.stored_fields(found[0])["stats"] if found else None)


def _read_state(searcher: Searcher) -> IndexState | None:
    fields = searcher.document(skey="state")
    return IndexState.from_json(fields["value"]) if fields else None


class WhooshSnapshot(Snapshot):
    """Reads one whoosh searcher: a service's pinned view, or the writer's view of a generation."""

    def __init__(
        self,
        searcher: Searcher,
        version: str = "",
        state: IndexState | None = None,
        owner: WhooshIndex | None = None,
        pin: _Pin | None = None,
    ):
        self._searcher = searcher
        self.version = version
        self.state = state  # type: ignore[assignment]
        self._owner = owner
        self._pin = pin

    def _column(self, name: str) -> Any:
        # Opening a column reads its offsets for every segment: once per searcher, not per request.
        if self._pin is not None:
            return self._pin.column(name)
        return self._searcher.reader().column_reader(name)

    def close(self) -> None:
        if self._pin is not None and self._owner is not None:
            with self._owner._lock:
                self._pin.release()
            self._pin = None

    # -- records ------------------------------------------------------------------------------
    def _records(self, query: Any) -> list[dict[str, Any]]:
        searcher = self._searcher
        if isinstance(query, Term):
            return [searcher.stored_fields(n) for n in _numbers(searcher, query.fieldname, query.text)]
        return [searcher.stored_fields(n) for n in query.docs(searcher)]

    def doc_fields(self, doc_id: str) -> dict[str, Any] | None:
        found = _numbers(self._searcher, "doc", doc_id)
        return self._searcher.stored_fields(found[0]) if found else None

    def term_stats(self, term_id: str) -> TermStats:
        if self._owner is not None:
            return self._owner._cached_stats(self.version, term_id, self._searcher)
        return _read_stats(self._searcher, term_id)

    def doc_matches(self, doc_id: str, fields: dict[str, Any] | None = None) -> DocMatches | None:
        """A document's meta and every match in it (None if there is no such document);
        `fields`: its document record, where the caller has read it already."""
        fields = fields if fields is not None else self.doc_fields(doc_id)
        return None if fields is None else self.doc_postings(doc_id, fields)[0]

    def doc_postings(self, doc_id: str, fields: dict[str, Any]) -> tuple[DocMatches, dict[str, int]]:
        """A document's matches, and the number of each of its posting records by term (a
        writer deletes a record by its number: no term lookup in every segment)."""
        meta = DocMeta(
            doc_id,
            fields.get("date") or None,
            fields.get("lang", "en"),
            fields.get("source") or None,
            len(fields["passages"]),
        )
        per_passage: dict[int, list[Match]] = {}
        numbers = {}
        for number in _numbers(self._searcher, "pdoc", doc_id):
            record = self._searcher.stored_fields(number)
            numbers[record["pterm"]] = number
            for ordinal, stored in record["hits"]:
                per_passage.setdefault(ordinal, []).extend(unpack_matches(record["pterm"], stored))
        return DocMatches(meta, tuple((o, in_text_order(ms)) for o, ms in sorted(per_passage.items()))), numbers

    @staticmethod
    def _light_hits(record: dict[str, Any]) -> list[Light]:
        """(meta, ordinal, matches, text) for each passage of a posting record."""
        meta = tuple(record["pmeta"])
        return [
            (meta, ordinal, unpack_matches(record["pterm"], stored), text)
            for (ordinal, stored), text in zip(record["hits"], record["ptexts"], strict=True)
        ]

    @staticmethod
    def _hydrate(light: list[Light]) -> list[Hit]:
        return [_hit(meta, ordinal, matches, text) for meta, ordinal, matches, text in light]

    def newest_entries(self, term_id: str, limit: int) -> list[HeadEntry]:
        """The term's `limit` newest passages from its dated postings (what a head holds)."""
        _, dates, skip = locate_page(self.term_stats(term_id), PassageFilter(), True, 0, limit)
        return [
            (meta, ordinal, pack_matches(matches), text)
            for meta, ordinal, matches, text in self._page_of_dates(term_id, dates, skip, limit)
        ]

    @staticmethod
    def _accepts(where: PassageFilter, meta: tuple[Any, ...]) -> bool:
        return (not where.doc or meta[0] == where.doc) and where.accepts_group(meta[1] or "", meta[2], meta[3] or "")

    def head(self, term_id: str) -> _UnpackedHead | None:
        """The term's head record: its newest passages (None where the index has none for it)."""
        if "head_column" not in self._searcher.schema:
            return None
        number = self._pin.head_number(term_id) if self._pin is not None else _head_number(self._searcher, term_id)
        try:
            packed = self._column("head_column")[number] if number is not None else b""
        except IndexError:  # a column written short (see _column_value): read the postings instead
            return None
        return _UnpackedHead(packed) if packed else None

    def _head_hits(self, term_id: str) -> list[Hit] | None:
        def decode() -> list[Hit] | None:
            head = self.head(term_id)
            if head is None:
                return None
            return [
                _hit(meta, ordinal, unpack_matches(term_id, packed), text)
                for meta, ordinal, packed, text in head.entries()
            ]

        return self._owner.first_passages.get(self.version, term_id, decode) if self._owner is not None else decode()

    def term_page(
        self, term_id: str, where: PassageFilter, sort: str, offset: int, limit: int
    ) -> tuple[int, list[Hit]]:
        if sort == "newest" and where.unfiltered:
            total = total_passages(self.term_stats(term_id), where)
            page = FirstPassages.page(self._head_hits(term_id), total, offset, limit)
            if page is not None:
                return total, page
        if sort in ("newest", "oldest") and not (where.doc or where.lang or where.source):
            # The counts say which dates hold the page; the columns order those dates' postings
            # by document and say how many passages each has: read only the page's records.
            total, dates, skip = locate_page(self.term_stats(term_id), where, sort == "newest", offset, limit)
            return total, self._hydrate(self._page_of_dates(term_id, dates, skip, limit))
        if sort in ("newest", "oldest") and not where.doc:
            total, dates, skip = locate_page(self.term_stats(term_id), where, sort == "newest", offset, limit)
            light = []
            for date in dates:
                found = [
                    h
                    for r in self._records(Term("tdate", _tdate(term_id, date)))
                    if self._accepts(where, r["pmeta"])
                    for h in self._light_hits(r)
                ]
                found.sort(key=lambda h: (h[0][0], h[1]))
                light.extend(found)
            return total, self._hydrate(light[skip : skip + limit])
        query = Term("pterm", term_id) if not where.doc else And([Term("pterm", term_id), Term("pdoc", where.doc)])
        light = [h for r in self._records(query) if self._accepts(where, r["pmeta"]) for h in self._light_hits(r)]
        key = _LIGHT_SORTS[sort]
        light.sort(key=key)
        return len(light), self._hydrate(light[offset : offset + limit])

    def _page_of_dates(self, term_id: str, dates: list[str], skip: int, limit: int) -> list[Light]:
        searcher = self._searcher
        docs, counts = self._column("pdoc_column"), self._column("pcount_column")
        light: list[Light] = []
        position = 0  # passages of the dates walked so far
        for date in dates:
            numbers = _numbers(searcher, "tdate", _tdate(term_id, date))
            for _, n in sorted((_column_value(docs, n, searcher, "pdoc"), n) for n in numbers):
                count = _column_value(counts, n, searcher, "hits")
                if position + count <= skip:
                    position += count
                    continue
                for hit in sorted(self._light_hits(searcher.stored_fields(n)), key=lambda h: h[1]):
                    if position >= skip:
                        light.append(hit)
                        if len(light) >= limit:
                            return light
                    position += 1
        return light

    def shared_example(self, term_id: str, other_id: str) -> Hit | None:
        """The newest passage both terms use. Posting records name the terms they share a passage
        with ("term>other"), and by date too: with few such records read them all, otherwise walk
        the term's dates newest first to the first that has one (sharing is dense then)."""
        shared = self.term_stats(term_id).cooc.get(other_id, 0)
        if not shared:
            return None
        searcher, pair = self._searcher, f"{term_id}>{other_id}"
        numbers: list[int] = []
        if shared <= _FEW_SHARED:
            numbers = _numbers(searcher, "pco", pair)
        else:
            for date in newest_dates(self.term_stats(term_id)):
                numbers = _numbers(searcher, "pcod", f"{pair}\x1f{date}")
                if numbers:
                    break
        if not numbers:
            return None
        dates, docs = self._column("pdate_column"), self._column("pdoc_column")

        def newest(n: int) -> tuple[object, ...]:
            date = _column_value(dates, n, searcher, "pmeta")
            return (not date, _negated_bytes(date), _column_value(docs, n, searcher, "pdoc"))

        record = searcher.stored_fields(min(numbers, key=newest))
        other = self._records(Term("pkey", f"{other_id}\x1f{record['pdoc']}"))
        theirs = {o for o, _ in other[0]["hits"]} if other else set()
        for hit in sorted(self._light_hits(record), key=lambda h: h[1]):
            if hit[1] in theirs:
                return self._hydrate([hit])[0]
        return None

    def cooccurrence(self, term_id: str, where: PassageFilter) -> Counter[str]:
        if where.unfiltered:
            return Counter(self.term_stats(term_id).cooc)
        found: Counter[str] = Counter()
        for record in self._records(Term("pterm", term_id)):
            if not self._accepts(where, record["pmeta"]):
                continue
            mine = {o for o, _ in record["hits"]}
            for other in self._records(Term("pdoc", record["pdoc"])):
                if other["pterm"] != term_id:
                    found[other["pterm"]] += len(mine & {o for o, _ in other["hits"]})
        return +found

    def uses(self, term_ids: list[str], labels: list[tuple[str, str]], where: PassageFilter) -> list[Hit]:
        wanted_labels: dict[str, set[str]] = {}
        for term_id, label in labels:
            wanted_labels.setdefault(term_id, set()).add(label)
        queries = [Term("pterm", t) for t in term_ids] + [Term("plabel", label_key(t, lb)) for t, lb in labels]
        if not queries:
            return []
        light = []
        for record in self._records(Or(queries)):
            if not self._accepts(where, record["pmeta"]):
                continue
            term_id = record["pterm"]
            for hit in self._light_hits(record):
                if term_id in term_ids or any(m.label in wanted_labels.get(term_id, ()) for m in hit[2]):
                    light.append(hit)
        light.sort(key=_LIGHT_SORTS["newest"])
        return self._hydrate(light)

    def search(self, groups: list[list[str]], limit: int) -> list[StoredPassage]:
        if not groups:
            return []
        query = And([Or([Term("keys", k) for k in g]) for g in groups])
        found: list[StoredPassage] = []
        # Newest documents first (undated last), then by id, as on every backend; within a
        # document, the passages that have every word.
        order = MultiFacet([FieldFacet("date_column", reverse=True), FieldFacet("doc")])
        for hit in self._searcher.search(query, limit=None, sortedby=order):
            for passage in _stored_passages(hit.fields()):
                keys = set(index_keys(passage.text))
                if all(any(k in keys for k in g) for g in groups):
                    found.append(passage)
                    if len(found) >= limit:
                        return found
        return found

    def get_document(self, doc_id: str) -> Document | None:
        fields = self.doc_fields(doc_id)
        return _stored_document(fields) if fields else None

    def document_passages(self, doc_id: str) -> list[tuple[StoredPassage, tuple[Match, ...]]]:
        fields = self.doc_fields(doc_id)
        if fields is None:
            return []
        dm = self.doc_matches(doc_id)
        matches = dict(dm.passages) if dm else {}
        return [(p, matches.get(p.ordinal, ())) for p in _stored_passages(fields)]

    def document_records(self) -> Iterator[dict[str, Any]]:
        """Every document's record (its stored fields)."""
        return (self._searcher.stored_fields(n) for n in Every("doc").docs(self._searcher))

    def document_ids(self) -> dict[str, str]:
        return {fields["doc"]: fields["meta"]["checksum"] for fields in self.document_records()}

    def all_documents(self) -> Iterator[Document]:
        return (_stored_document(fields) for fields in self.document_records())

    def all_passages(self) -> Iterator[StoredPassage]:
        return (p for fields in self.document_records() for p in _stored_passages(fields))

    def recent_passages(self, limit: int) -> Iterator[StoredPassage]:
        order = MultiFacet([FieldFacet("date_column", reverse=True), FieldFacet("doc")])
        count = 0
        for hit in self._searcher.search(Every("doc"), limit=None, sortedby=order, scored=False):
            for passage in _stored_passages(hit.fields()):
                yield passage
                count += 1
            if count >= limit:
                return

    def candidate_documents(self, key_sets: list[list[str]]) -> list[str]:
        """Documents that contain every key of at least one key set (a superset of matches)."""
        query = Or([And([Term("keys", k) for k in ks]) for ks in key_sets if ks])
        return [self._searcher.stored_fields(n)["doc"] for n in query.docs(self._searcher)]

    def derived(self, name: str) -> dict[str, Any] | None:
        fields = self._searcher.document(skey=f"derived:{name}")
        return fields["value"] if fields else None


_LIGHT_SORTS: dict[str, Callable[[Light], tuple[Any, ...]]] = {
    # (meta = (doc, date, lang, source, title), ordinal, matches, text): the orders of index.backends.base.SORTS
    "newest": lambda h: (h[0][1] is None, tuple(-ord(c) for c in h[0][1] or ""), h[0][0], h[1]),
    "oldest": lambda h: (h[0][1] is None, h[0][1] or "", h[0][0], h[1]),
    "document": lambda h: (h[0][0], h[1]),
    "matches": lambda h: (-len(h[2]), h[0][1] is None, tuple(-ord(c) for c in h[0][1] or ""), h[0][0], h[1]),
}
assert set(_LIGHT_SORTS) == set(SORTS)
_NEWEST = _LIGHT_SORTS["newest"]


# -- writing -----------------------------------------------------------------------------------
class _Commit:
    """One whoosh writer over one generation, with the reads and count deltas a commit needs."""

    def __init__(self, ix: Any, glossary: Glossary):
        _add_heads(ix)
        self.ix = ix
        self.searcher = ix.searcher()
        self.matcher = matcher_for(glossary)
        self.writer = ix.writer(**WRITER_OPTIONS)
        self.delta = StatsDelta()
        self._in_commit: dict[str, DocMatches | None] = {}  # documents this commit already rewrote
        self._written: dict[str, Document] = {}  # ... and what they hold now (not the deleted ones)
        self._head_terms: set[str] = set()  # terms whose passages this commit changes
        self._removed: Counter[str] = Counter()  # per term, the passages of the old documents it rewrites
        self.view = WhooshSnapshot(self.searcher)

    def old_matches(self, doc_id: str) -> DocMatches | None:
        if doc_id in self._in_commit:
            return self._in_commit[doc_id]
        return self.view.doc_matches(doc_id)

    def _rewrote(self, doc_id: str, old: DocMatches | None, new: DocMatches | None, doc: Document | None) -> None:
        """Note what a rewrite changes for the heads: `old` as the commit found it, `new` (None if deleted)."""
        if doc_id not in self._in_commit and old is not None:
            for term_id, hits in old.by_term().items():
                self._removed[term_id] += len(hits)
        self._in_commit[doc_id] = new
        if new is None or doc is None:
            self._written.pop(doc_id, None)
        else:
            self._written[doc_id] = doc

    def _delete_by_term(self, field: str, text: str) -> None:
        # With the commit's searcher: whoosh's own opens a new one over every segment each time
        # (a large share of an edit's time at 1M passages, where the index has many segments).
        # Its document numbers are the writer's: both read the generation as the lock found it.
        self.writer.delete_by_term(field, text, searcher=self.searcher)

    def _replace(self, unique: str, **record: Any) -> None:
        """whoosh's update_document, without its new searcher per call."""
        self._delete_by_term(unique, record[unique])
        self.writer.add_document(**record)

    def _delete(self, doc_id: str) -> None:
        self._delete_by_term("doc", doc_id)
        self._delete_by_term("pdoc", doc_id)

    def delete(self, doc_id: str) -> None:
        old = self.old_matches(doc_id)
        if old is not None:
            self.delta.add(old, -1)
            self._delete(doc_id)
            self._head_terms.update(old.by_term())
        self._rewrote(doc_id, old, None, None)

    def put(self, doc: Document) -> None:
        old = self.old_matches(doc.id)
        if old is not None:
            self.delta.add(old, -1)
            self._head_terms.update(old.by_term())
        self._delete(doc.id)
        new = match_document(doc, self.matcher)
        self.delta.add(new, +1)
        self.writer.add_document(**_document_record(doc))
        for record in _posting_records(new, doc):
            self.writer.add_document(**record)
        self._head_terms.update(new.by_term())
        self._rewrote(doc.id, old, new, doc)

    def rematch(self, fields: dict[str, Any], plan: EditPlan) -> bool:
        """Re-match one stored document where the edit can change it; rewrite its postings if they changed."""
        doc = fields["doc"]
        if doc in self._in_commit:
            return False  # rewritten whole in this commit, with this commit's glossary
        old, numbers = self.view.doc_postings(doc, fields)
        stored = _stored_document(fields)
        new = match_document(stored, self.matcher, old, plan.may_change)
        if new.same_as(old):
            return False
        # Only the records whose hits, or whose terms sharing a passage, changed.
        before, after = _record_contents(old), _record_contents(new)
        changed = {t for t in before.keys() | after.keys() if before.get(t) != after.get(t)}
        for term_id in changed & numbers.keys():
            self.writer.delete_document(numbers[term_id])
        for record in _posting_records(new, stored, only=changed):
            self.writer.add_document(**record)
        self.delta.add(old, -1)
        self.delta.add(new, +1)
        self._head_terms.update(t for t in changed if before.get(t, ((),))[0] != after.get(t, ((),))[0])
        self._rewrote(doc, old, new, stored)
        return True

    def _write_heads(self) -> None:
        """Rewrite the head of every term whose passages this commit changed."""
        added: dict[str, list[HeadEntry]] = {}
        for doc_id, doc in self._written.items():
            new = self._in_commit[doc_id]
            assert new is not None
            texts = {p.ordinal: p.text for p in doc.passages}
            meta = (doc_id, new.meta.date, new.meta.lang, new.meta.source, doc.title)
            for term_id, hits in new.by_term().items():
                if term_id in self._head_terms:
                    added.setdefault(term_id, []).extend((meta, o, pack_matches(ms), texts[o]) for o, ms in hits)
        for term_id in sorted(self._head_terms):
            head = self._new_head(term_id, added.get(term_id, []))
            if head:
                self._replace("hterm", hterm=term_id, head_column=_packed_head(head))
            else:
                self._delete_by_term("hterm", term_id)

    def _new_head(self, term_id: str, added: list[HeadEntry]) -> list[HeadEntry]:
        """The old head without the documents this commit rewrote, with what they hold now. Where
        the old head was cut and too little of it is left, the old postings are read again."""
        gone = self._in_commit
        head = self.view.head(term_id)
        old = head.entries() if head is not None else None
        if old is not None:
            old_total = total_passages(_read_stats(self.searcher, term_id), PassageFilter())
            merged = sorted([e for e in old if e[0][0] not in gone] + added, key=_NEWEST)
            if len(old) < old_total:  # past the old head's last passage lie passages it does not hold
                last = _NEWEST(old[-1])
                merged = [e for e in merged if _NEWEST(e) <= last]
            if len(merged) >= HEAD_SIZE or len(old) >= old_total:
                return merged[:HEAD_SIZE]
        fresh = self.view.newest_entries(term_id, HEAD_SIZE + self._removed[term_id])
        return sorted([e for e in fresh if e[0][0] not in gone] + added, key=_NEWEST)[:HEAD_SIZE]

    def commit(self, state: IndexState) -> None:
        self._write_heads()
        for term_id, delta in self.delta.terms.items():
            merged = _read_stats(self.searcher, term_id).merged(delta)
            if merged.is_empty():
                self._delete_by_term("sterm", term_id)
            else:
                self._replace("sterm", sterm=term_id, stats=merged.to_json())
        self._replace("skey", **_state_record(state))
        self.searcher.close()
        _commit(self.writer, self.ix)

    def cancel(self) -> None:
        self.searcher.close()
        _cancel(self.writer, self.ix)


def _commit(writer: Any, ix: Any) -> None:
    """Commit, or cancel and clean up: a whoosh writer that failed (a full disk) keeps the
    index's write lock until it is garbage-collected, refusing every other writer meanwhile."""
    try:
        writer.commit()
    except BaseException:
        _cancel(writer, ix)
        raise
    mark_committed(ix)


def mark_committed(ix: Any) -> None:
    """Record the generation's newest commit in a symlink in its folder (under the write lock).

    A reader compares it with its own commit at every request: one readlink, where whoosh's
    up_to_date() lists the folder and parses every file name. A writer killed before this leaves
    the mark behind; readers still find its commit through whoosh's check (see _Pin.is_current)."""
    replace_symlink(Path(ix.storage.folder) / COMMITTED, str(ix.latest_generation()))


def _marked_commit(mark: str) -> int | None:
    """The newest commit marked in a generation folder's mark (None where none is: a release before marks)."""
    try:
        return int(os.readlink(mark))
    except (OSError, ValueError):
        return None


def _cancel(writer: Any, ix: Any) -> None:
    with contextlib.suppress(Exception):
        writer.cancel()
    # On a full disk cancel() itself fails (closing the segment's files flushes them) before it
    # releases the lock: release it here.
    lock = getattr(writer, "writelock", None)
    if lock is not None:
        with contextlib.suppress(Exception):
            lock.release()
    remove_unfinished_commits(Path(ix.storage.folder))


@contextlib.contextmanager
def _writing(ix: Any) -> Iterator[Any]:
    """A writer that is committed at the end, or cancelled (its lock released) if anything fails."""
    writer = ix.writer(**WRITER_OPTIONS)
    try:
        yield writer
    except BaseException:
        _cancel(writer, ix)
        raise
    _commit(writer, ix)


def remove_unfinished_commits(gen: Path) -> None:
    """Files of commits that never finished (a full disk, a kill -9): not in the generation's TOC.

    whoosh removes them only after its next successful commit, which a full disk may never
    allow; called under the write lock, so no commit is running.
    """
    ix = whoosh.index.open_dir(str(gen))
    try:
        toc = ix._read_toc()
        whoosh.index.clean_files(ix.storage, ix.indexname, toc.generation, toc.segments)
    finally:
        ix.close()
    for leftover in gen.glob("*.tmp"):  # a writer's scratch folder
        shutil.rmtree(leftover, ignore_errors=True)
    for leftover in gen.glob(f"_{ix.indexname}_*.toc.*"):  # a TOC never renamed into place
        leftover.unlink(missing_ok=True)


def _open_dir(path: Path, attempts: int = 100) -> Any:
    """whoosh's open_dir, read while a commit may be replacing the TOC it found newest (the
    writer deletes the old one once the new one is in place): then the newer one is read."""
    for attempt in range(attempts):
        try:
            return whoosh.index.open_dir(str(path))
        except FileNotFoundError:
            if attempt == attempts - 1 or not path.is_dir():
                raise
            time.sleep(0.01)
    raise AssertionError("unreachable")


def _open_generation(path: Path) -> tuple[Any, IndexState]:
    """A generation's index and its state (for a writer, under the write lock)."""
    ix, searcher, state = _open_for_reading(path)
    searcher.close()
    return ix, state


def _open_for_reading(path: Path) -> tuple[Any, Searcher, IndexState]:
    """A generation's index, a searcher with all its files open, and the state of that same
    commit (a reader's: the writer may be committing meanwhile)."""
    ix = _open_dir(path)
    searcher = _opened_searcher(ix)
    # The opened commit's schema: ix.schema would read the TOC again, which a commit may
    # have replaced (and deleted) since.
    if set(index_schema().names()) - set(searcher.schema.names()) - HEAD_FIELDS:  # a writer adds heads
        searcher.close()
        ix.close()
        raise IndexOutdated(
            f"the index in {path.parent} was made by an older release (no term postings); "
            "run `glossary upgrade` to migrate it (its documents are kept)"
        )
    state = _read_state(searcher)
    if state is None:
        searcher.close()
        ix.close()
        raise IndexOutdated(f"the index in {path.parent} has no glossary state; run `glossary upgrade`")
    return ix, searcher, state


def _write_into(gen: Path, put: Iterable[Document], delete: Iterable[str]) -> None:
    ix, state = _open_generation(gen)
    commit = _Commit(ix, glossary_from_text(state.glossary_text))
    try:
        for doc_id in delete:
            commit.delete(doc_id)
        for doc in put:
            commit.put(doc)
    except BaseException:
        commit.cancel()
        raise
    commit.commit(
        IndexState(
            state.glossary_text,
            state.glossary_version,
            state.glossary_updated_at,
            state.matcher_version,
            state.content_version + 1,
        )
    )
    ix.close()
    fsync_tree(gen)


def _build_generation(
    root: Path,
    documents: Iterable[Document],
    glossary: Glossary,
    procs: int,
    on_document: Callable[[Document], None] | None,
    content_version: int,
) -> Path:
    """A complete new generation beside the current one (not switched to)."""
    gen = root / f"gen-{time.time_ns()}"
    gen.mkdir()
    building = os.open(gen / BUILDING, os.O_RDWR | os.O_CREAT, 0o644)
    fcntl.flock(building, fcntl.LOCK_EX)  # released by the kernel if this builder dies
    guard = _WriterChildren(building)
    multiprocessing.util.register_after_fork(guard, _WriterChildren.in_child)
    try:
        ix = whoosh.index.create_in(str(gen), index_schema())
        writer = (
            ix.writer(procs=procs, multisegment=True, **WRITER_OPTIONS) if procs > 1 else ix.writer(**WRITER_OPTIONS)
        )
        matcher = matcher_for(glossary)
        delta = StatsDelta()
        try:
            for doc in documents:
                dm = match_document(doc, matcher)
                delta.add(dm, +1)
                writer.add_document(**_document_record(doc))
                for record in _posting_records(dm, doc):
                    writer.add_document(**record)
                if on_document:
                    on_document(doc)
            # Counts are kept beside the postings (an empty corpus still has its CORPUS record).
            delta.terms.setdefault(CORPUS, TermStats())
            for term_id, stats in delta.terms.items():
                writer.add_document(sterm=term_id, stats=TermStats().merged(stats).to_json())
            writer.add_document(**_state_record(_new_state(glossary, content_version)))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        _write_all_heads(ix)
        ix.close()
        (gen / BUILDING).unlink()
        fsync_tree(gen)
    except BaseException:
        shutil.rmtree(gen, ignore_errors=True)
        raise
    finally:
        os.close(building)
    return gen


def _changed_documents(
    snap: WhooshSnapshot, matcher: Matcher, most: float, scanned: dict[str, str], progress: Progress | None
) -> list[str] | None:
    """The documents whose matches `matcher` changes, found by matching every document of the
    snapshot against its postings (reads only: no lock, so writes go on meanwhile). None as soon
    as more than `most` change: then a new generation built aside is quicker than their rewrites.
    `scanned` receives each document's checksum, to tell the documents written since."""
    total = snap.counts().documents
    changed: list[str] = []
    for done, fields in enumerate(snap.document_records(), 1):
        doc_id = fields["doc"]
        scanned[doc_id] = fields["meta"]["checksum"]
        old = snap.doc_matches(doc_id, fields)
        if old is None or not match_document(_stored_document(fields), matcher).same_as(old):
            changed.append(doc_id)
            if len(changed) > most:
                return None
        if progress:
            progress(done, total)
    return changed


def _write_all_heads(ix: Any) -> None:
    """Every term's head, read from the postings of a generation that has none yet."""
    with ix.searcher() as searcher:
        view = WhooshSnapshot(searcher)
        terms = [t.decode() for t in searcher.lexicon("sterm") if t.decode() != CORPUS]
        heads = {term_id: view.newest_entries(term_id, HEAD_SIZE) for term_id in terms}
    with _writing(ix) as writer:
        for term_id, head in heads.items():
            if head:
                writer.update_document(hterm=term_id, head_column=_packed_head(head))


def _packed_head(head: list[HeadEntry]) -> bytes:
    """(length, chunks of HEAD_CHUNK pickled entries): a first page unpickles one chunk."""
    chunks = [pickle.dumps(head[i : i + HEAD_CHUNK], pickle.HIGHEST_PROTOCOL) for i in range(0, len(head), HEAD_CHUNK)]
    return pickle.dumps((len(head), chunks), protocol=pickle.HIGHEST_PROTOCOL)


class _UnpackedHead:
    """A head record, its chunks unpickled as they are read. Reads the entry list that heads
    were before they came in chunks, too."""

    def __init__(self, packed: bytes):
        found = pickle.loads(packed)
        self._read: list[HeadEntry] | None = None
        self._chunks: list[bytes] = []
        if isinstance(found, tuple):
            length, self._chunks = found
        else:  # written whole, by an earlier release
            length, self._read = len(found), found
        self._length = int(length)

    def __len__(self) -> int:
        return self._length

    def entries(self, start: int = 0, stop: int | None = None) -> list[HeadEntry]:
        stop = self._length if stop is None else min(stop, self._length)
        if self._read is not None:
            return self._read[start:stop]
        first, last = start // HEAD_CHUNK, -(-stop // HEAD_CHUNK)
        read = [e for chunk in self._chunks[first:last] for e in pickle.loads(chunk)]
        return read[start - first * HEAD_CHUNK : stop - first * HEAD_CHUNK]


def _add_heads(ix: Any) -> None:
    """Give an index made before heads existed its head fields and every term's head."""
    missing = {name: field for name, field in _head_fields().items() if name not in ix.schema}
    if not missing:
        return
    with _writing(ix) as writer:
        for name, field in missing.items():
            writer.add_field(name, field)
    _write_all_heads(ix)


def _build_fresh(
    index_dir: str | Path,
    documents: Iterable[Document],
    glossary: Glossary,
    procs: int = 1,
    on_document: Callable[[Document], None] | None = None,
) -> Path:
    """Build a fresh index aside, then switch `current` to it. Returns the new generation."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(root / LOCK):
        _remove_stale_generations(root)
        gen = _build_generation(root, documents, glossary, procs, on_document, content_version=1)
        replace_symlink(root / CURRENT, gen.name)
        _remove_stale_generations(root)
    return gen


class _WriterChildren:
    """What whoosh's writer processes (procs > 1) must do after the fork: drop the builder's
    lock, and die with the builder, so that a killed build leaves nothing running or locked."""

    def __init__(self, building_fd: int):
        self.building_fd = building_fd

    def in_child(self) -> None:
        with contextlib.suppress(OSError):
            os.close(self.building_fd)
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


_PR_SET_PDEATHSIG = 1


def _being_built(gen: Path) -> bool:
    try:
        fd = os.open(gen / BUILDING, os.O_RDWR)
    except OSError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return False  # a builder that died (kill -9) left it: the generation is a leftover
    except OSError:
        return True
    finally:
        os.close(fd)


def _remove_stale_generations(root: Path) -> None:
    # Readers that still have an old generation open keep their files (POSIX unlink semantics);
    # a generation that a live builder is still writing is left alone.
    live = os.readlink(root / CURRENT) if (root / CURRENT).is_symlink() else None
    for child in root.glob("gen-*"):
        if child.name != live and not _being_built(child):
            shutil.rmtree(child, ignore_errors=True)


def index_exists(index_dir: str | Path) -> bool:
    current = Path(index_dir) / CURRENT
    return current.is_symlink() and whoosh.index.exists_in(str(current))


class WhooshIndex(PassageIndex):
    """Reads (and, through the one write lock, writes) a whoosh index folder."""

    def __init__(self, index_dir: str | Path):
        self.root = Path(index_dir)
        self._current_link = str(self.root / CURRENT)  # strings: read at every request, as cheaply as can be
        self._mark = ""  # the current generation's commit mark
        self._lock = threading.RLock()
        self._target: str | None = None
        self._ix: Any = None
        self._pin: _Pin | None = None
        self._spares: list[_Pin] = []  # more searchers of the newest commit, for snapshots used at once
        self._stats = StatsCache()
        self.first_passages = FirstPassages()
        self._writer_fd: int | None = None

    # -- reading ---------------------------------------------------------------------------
    def _current_pin(self) -> _Pin:
        with self._lock:
            try:
                target = os.readlink(self._current_link)
            except OSError:
                raise IndexMissing(f"no index in {self.root}: run `glossary build`") from None
            if target != self._target or self._pin is None:
                ix, searcher, state = _open_for_reading(self.root / target)
                self._swap(searcher, target, state)
                self._ix = ix
                self._target = target
                self._mark = str(self.root / target / COMMITTED)
            elif not self._pin.is_current(self._mark):
                # Not searcher.refresh(): it reuses segment readers and so keeps serving
                # documents that a later commit deleted. A fresh searcher costs a few ms.
                searcher = _opened_searcher(self._ix)
                self._swap(searcher, target, _read_state(searcher))
            assert self._pin is not None
            return self._pin

    def _swap(self, searcher: Searcher, target: str, state: IndexState | None) -> None:
        self._retire_pins()
        self._pin = _Pin(searcher, f"{target}.{searcher.ixreader.generation()}", state)

    def _retire_pins(self) -> None:
        for pin in (self._pin, *self._spares):
            if pin is not None:
                pin.retire()
        self._pin, self._spares = None, []

    def _free_pin(self) -> _Pin:
        """The newest commit's pin if no snapshot uses it, else a spare one: whoosh reads its files
        by seek then read, so a searcher serves one thread at a time (a request thread, the
        background writer's). Spares are as many as snapshots were ever open at once."""
        pin = self._current_pin()
        if pin.users <= 0:
            return pin
        for spare in self._spares:
            if spare.users <= 0:
                return spare
        searcher = _opened_searcher(self._ix)
        if searcher.ixreader.generation() != pin.generation:  # a commit landed: it is the newest now
            assert self._target is not None
            self._swap(searcher, self._target, _read_state(searcher))
            assert self._pin is not None
            return self._pin
        spare = _Pin(searcher, pin.version, pin.state)
        self._spares.append(spare)
        return spare

    def version(self) -> str:
        return self._current_pin().version

    def is_fresh(self) -> bool:
        return not index_exists(self.root)

    def snapshot(self) -> WhooshSnapshot:
        with self._lock:
            pin = self._free_pin()
            pin.users += 1
            assert pin.state is not None
            return WhooshSnapshot(pin.searcher, pin.version, pin.state, owner=self, pin=pin)

    def _cached_stats(self, version: str, term_id: str, searcher: Searcher) -> TermStats:
        return self._stats.get(version, term_id, lambda: _read_stats(searcher, term_id))

    # -- writing ---------------------------------------------------------------------------
    def write(
        self, put: Iterable[Document] = (), delete: Iterable[str] = (), wait_seconds: float = WRITE_WAIT_SECONDS
    ) -> None:
        """One durable commit under the write lock: documents, their postings and the counts."""
        with exclusive_lock(self.root / LOCK, wait_seconds), no_space_is_storage_full("the index"):
            gen = self.root / os.readlink(self.root / CURRENT)
            remove_unfinished_commits(gen)
            _write_into(gen, put, delete)

    def replace_all(
        self,
        documents: Iterable[Document],
        glossary: Glossary,
        on_document: Callable[[Document], None] | None = None,
        procs: int = 1,
    ) -> int:
        count = 0

        def counted(doc: Document) -> None:
            nonlocal count
            count += 1
            if on_document:
                on_document(doc)

        _build_fresh(self.root, documents, glossary, procs=procs, on_document=counted)
        return count

    def rematch(
        self,
        glossary: Glossary,
        progress: Progress | None = None,
        wait_seconds: float = WRITE_WAIT_SECONDS,
        everything: bool = False,
        procs: int = 2,
    ) -> RematchReport:
        scanned: dict[str, str] | None = None  # what a scan read: document id -> checksum
        with self.snapshot() as snap:
            state = snap.state
            same_rules = state.matcher_version == MATCHER_VERSION and not everything
            old = glossary_from_text(state.glossary_text) if same_rules else None
            plan = plan_edit(old, glossary)
            key_sets = plan.key_sets
            most = max(ASIDE_MIN_DOCUMENTS, ASIDE_SHARE * snap.counts().documents)
            if key_sets is None:
                scanned = {}
                found = _changed_documents(snap, matcher_for(glossary), most, scanned, progress)
                if found is None:
                    return self._rematch_aside(snap, glossary, progress, wait_seconds, procs)
                candidates = found
            else:
                candidates = snap.candidate_documents(key_sets)
                if len(candidates) > most:
                    return self._rematch_aside(snap, glossary, progress, wait_seconds, procs)
        with exclusive_lock(self.root / LOCK, wait_seconds):
            gen = self.root / os.readlink(self.root / CURRENT)
            ix, now = _open_generation(gen)
            if now.content_version != state.content_version:
                # Documents changed since the candidates were found: find them again under the lock
                # (after a scan, the documents written since are matched again as well).
                with ix.searcher() as searcher:
                    view = WhooshSnapshot(searcher)
                    if scanned is None:
                        candidates = view.candidate_documents(key_sets or [])
                    else:
                        written = [i for i, checksum in view.document_ids().items() if scanned.get(i) != checksum]
                        candidates = list(dict.fromkeys([*candidates, *written]))
            commit = _Commit(ix, glossary)
            changed = 0
            try:
                for n, doc_id in enumerate(candidates, 1):
                    fields = commit.view.doc_fields(doc_id)
                    if fields is not None and commit.rematch(fields, plan):
                        changed += 1
                    if progress and scanned is None:  # after a scan, its progress was the work
                        progress(n, len(candidates))
            except BaseException:
                commit.cancel()
                raise
            commit.commit(_new_state(glossary, now.content_version + 1))
            ix.close()
            fsync_tree(gen)
            _remove_stale_generations(self.root)
        checked = len(candidates) if scanned is None else len(scanned)
        return RematchReport(glossary.version, checked, changed, rebuilt=False)

    def _rematch_aside(
        self, snap: WhooshSnapshot, glossary: Glossary, progress: Progress | None, wait_seconds: float, procs: int
    ) -> RematchReport:
        """Re-match everything into a new generation; documents written meanwhile are replayed."""
        total = snap.counts().documents
        done = 0

        def step(_: Document) -> None:
            nonlocal done
            done += 1
            if progress:
                progress(done, total)

        base = snap.state.content_version
        gen = _build_generation(self.root, snap.all_documents(), glossary, procs, step, base + 1)
        try:
            with exclusive_lock(self.root / LOCK, wait_seconds):
                current = self.root / os.readlink(self.root / CURRENT)
                _, now = _open_generation(current)
                if now.content_version != base:
                    self._replay(current, gen)
                replace_symlink(self.root / CURRENT, gen.name)
                _remove_stale_generations(self.root)
        except BaseException:
            if (self.root / CURRENT).is_symlink() and os.readlink(self.root / CURRENT) != gen.name:
                shutil.rmtree(gen, ignore_errors=True)
            raise
        return RematchReport(glossary.version, total, total, rebuilt=True)

    @staticmethod
    def _replay(source: Path, target: Path) -> None:
        """Copy into `target` the document changes that `source` got since `target` was built."""
        ix = whoosh.index.open_dir(str(source))
        with ix.searcher() as searcher:
            view = WhooshSnapshot(searcher)
            now = view.document_ids()
            with whoosh.index.open_dir(str(target)).searcher() as built_searcher:
                before = WhooshSnapshot(built_searcher).document_ids()
            put = [d for d in (view.get_document(i) for i, c in now.items() if before.get(i) != c) if d is not None]
            _write_into(target, put, [i for i in before if i not in now])
        ix.close()

    def store_derived(self, name: str, content_version: int, data: Any) -> None:
        with exclusive_lock(self.root / LOCK, WRITE_WAIT_SECONDS):
            gen = self.root / os.readlink(self.root / CURRENT)
            ix = whoosh.index.open_dir(str(gen))
            try:
                with _writing(ix) as writer:
                    writer.update_document(
                        skey=f"derived:{name}",
                        value={"content_version": content_version, "computed_at": time.time(), "data": data},
                    )
            finally:
                ix.close()
            fsync_tree(gen)

    # -- the deployment's one background writer ----------------------------------------------
    def try_writer_lock(self) -> bool:
        if self._writer_fd is not None:
            return True
        fd = os.open(self.root / WRITER_LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            os.close(fd)
            return False
        self._writer_fd = fd  # the kernel releases it if this process dies
        return True

    def publish_job(self, data: dict[str, Any]) -> None:
        write_atomically(self.root / JOB_FILE, json.dumps(data).encode())

    def job(self) -> dict[str, Any] | None:
        try:
            return json.loads((self.root / JOB_FILE).read_text())  # type: ignore[no-any-return]
        except (OSError, ValueError):
            return None

    def close(self) -> None:
        if self._writer_fd is not None:
            os.close(self._writer_fd)
            self._writer_fd = None
        with self._lock:
            self._retire_pins()
            self._target = None


def upgrade(
    index_dir: str | Path, glossary: Glossary, procs: int = 1, on_document: Callable[[Document], None] | None = None
) -> int:
    """Migrate an index made by an older release: rebuild it aside from its own stored documents."""
    root = Path(index_dir)
    with exclusive_lock(root / LOCK):
        current = root / os.readlink(root / CURRENT)
        ix = whoosh.index.open_dir(str(current))
        count = 0
        with ix.searcher() as searcher:

            def counted(doc: Document) -> None:
                nonlocal count
                count += 1
                if on_document:
                    on_document(doc)

            gen = _build_generation(
                root, WhooshSnapshot(searcher).all_documents(), glossary, procs, counted, content_version=1
            )
        ix.close()
        replace_symlink(root / CURRENT, gen.name)
        _remove_stale_generations(root)
    return count
