"""The whoosh implementation of the passage index.

Layout of an index folder:
    current -> gen-<n>/   symlink to the live whoosh index
    gen-<n>/              whoosh files of one build
    write.lock            flock held by the one writer
A rebuild writes a new gen-<n> aside and then switches `current`; readers notice the switch
by the symlink's target and reopen. Incremental writes commit into the current generation;
readers pick them up with whoosh's own refresh.
"""

from __future__ import annotations

import os
import random
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import whoosh.index
import whoosh.util
from whoosh import columns
from whoosh.fields import COLUMN, ID, KEYWORD, STORED, Schema
from whoosh.query import And, Or, Term
from whoosh.searching import Searcher
from whoosh.sorting import FieldFacet, MultiFacet

from index.backend import IndexCounts, PassageIndex, StoredPassage
from index.corpus import Document, parse_document, passage_id
from index.durable import exclusive_lock, fsync_tree, replace_symlink
from index.errors import GlossaryServiceError
from index.text import index_keys

# whoosh names segments and temporary files with the global `random` module. Anything that
# reseeds it (hypothesis does, between examples) makes two commits pick the same segment name,
# and the second commit fails. Names from the OS's randomness cannot repeat that way.
whoosh.util.random = random.SystemRandom()  # type: ignore[attr-defined]

CURRENT = "current"
LOCK = "write.lock"
WRITE_WAIT_SECONDS = 10.0
# whoosh's in-memory posting pool per writer process: fixed, so that build memory does not
# grow with the corpus (the pool spills sorted runs to disk when full).
WRITER_MEMORY_MB = 16


class IndexMissing(GlossaryServiceError):
    """There is no built index in the folder."""


def passage_schema() -> Schema:
    # One whoosh document per corpus document, its passages stored inside it. Postings are
    # what a whoosh build spends its time on, and a document repeats most of its words from
    # paragraph to paragraph: indexing the union of its passages' keys once costs about a
    # third of indexing each passage. Passage-level answers come from the matcher, which
    # checks every passage of a candidate document anyway.
    return Schema(
        doc=ID(stored=True, unique=True),
        # The shared analysis's keys, space-joined. Never scored, but scorable: at commit whoosh
        # asks for a field's length column once per posting and, when there is none, stats the
        # missing file every time (a third of the build). One length byte a document is cheaper.
        keys=KEYWORD(scorable=True, lowercase=False),
        title=STORED(),
        date=STORED(),
        lang=STORED(),
        source=STORED(),
        body=STORED(),
        passages=STORED(),
        meta=STORED(),
        # Columns answer corpus-wide counts (per date, per language) without stored fields.
        date_column=COLUMN(columns.VarBytesColumn()),
        lang_column=COLUMN(columns.VarBytesColumn()),
        source_column=COLUMN(columns.VarBytesColumn()),
        passages_column=COLUMN(columns.NumericColumn("I")),
    )


def _record(doc: Document) -> dict[str, Any]:
    keys: set[str] = set()
    for p in doc.passages:
        keys.update(index_keys(p.text))
    return {"doc": doc.id, "keys": " ".join(sorted(keys)), "title": doc.title, "date": doc.date or "",
            "lang": doc.lang, "source": doc.source or "", "body": doc.body, "passages": [p.text for p in doc.passages],
            "meta": {"url": doc.url, "checksum": doc.checksum, "markdown": doc.markdown},
            "date_column": (doc.date or "").encode(), "lang_column": doc.lang.encode(),
            "source_column": (doc.source or "").encode(), "passages_column": len(doc.passages)}


def _passages(fields: dict[str, Any]) -> list[StoredPassage]:
    doc = fields["doc"]
    return [StoredPassage(passage_id(doc, i), doc, i, text, fields.get("title", ""), fields.get("date") or None,
                          fields.get("lang", "en"), fields.get("source") or None)
            for i, text in enumerate(fields["passages"], 1)]


def rebuild(index_dir: str | Path, documents: Iterable[Document], procs: int = 1,
            on_document: Callable[[Document], None] | None = None) -> Path:
    """Build a fresh index aside, then switch `current` to it. Returns the new generation."""
    root = Path(index_dir)
    root.mkdir(parents=True, exist_ok=True)
    with exclusive_lock(root / LOCK):
        _remove_stale_generations(root)
        gen = root / f"gen-{time.time_ns()}"
        gen.mkdir()
        try:
            ix = whoosh.index.create_in(str(gen), passage_schema())
            writer = ix.writer(procs=procs, multisegment=True, limitmb=WRITER_MEMORY_MB) if procs > 1 else ix.writer(limitmb=WRITER_MEMORY_MB)
            try:
                for doc in documents:
                    writer.add_document(**_record(doc))
                    if on_document:
                        on_document(doc)
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            ix.close()
            fsync_tree(gen)
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        replace_symlink(root / CURRENT, gen.name)
        _remove_stale_generations(root)
    return gen


def _remove_stale_generations(root: Path) -> None:
    # Readers that still have an old generation open keep their files (POSIX unlink semantics).
    live = os.readlink(root / CURRENT) if (root / CURRENT).is_symlink() else None
    for child in root.glob("gen-*"):
        if child.name != live:
            shutil.rmtree(child, ignore_errors=True)


def index_exists(index_dir: str | Path) -> bool:
    current = Path(index_dir) / CURRENT
    return current.is_symlink() and whoosh.index.exists_in(str(current))


class WhooshIndex(PassageIndex):
    """Reads (and, through the one write lock, writes) a whoosh index folder."""

    def __init__(self, index_dir: str | Path):
        self.root = Path(index_dir)
        self._lock = threading.RLock()
        self._target: str | None = None
        self._ix: Any = None
        self._searcher: Searcher | None = None
        self._column_rows: tuple[str, list[tuple[str, str, str | None, int]]] | None = None
        self.version()

    # -- reading -------------------------------------------------------------------------
    def _current_searcher(self) -> Searcher:
        with self._lock:
            try:
                target = os.readlink(self.root / CURRENT)
            except OSError:
                raise IndexMissing(f"no index in {self.root}: run `glossary build`") from None
            if target != self._target or self._searcher is None:
                old = self._searcher
                self._ix = whoosh.index.open_dir(str(self.root / target))
                self._searcher = self._ix.searcher()
                self._target = target
                if old is not None:
                    old.close()
            elif not self._searcher.up_to_date():
                # Not searcher.refresh(): it reuses segment readers and so keeps serving
                # documents that a later commit deleted. A fresh searcher costs a few ms.
                old, self._searcher = self._searcher, self._ix.searcher()
                old.close()
            return self._searcher

    def version(self) -> str:
        searcher = self._current_searcher()
        return f"{self._target}.{searcher.ixreader.generation()}"

    def _columns(self) -> tuple[str, list[tuple[str, str, str | None, int]]]:
        """Per live document: (date, lang, source, passage count), from columns; cached per version."""
        version = self.version()
        if self._column_rows and self._column_rows[0] == version:
            return self._column_rows
        reader = self._current_searcher().reader()
        dates, langs, sources, counts = (reader.column_reader(f"{name}_column")
                                         for name in ("date", "lang", "source", "passages"))
        rows = [(dates[n].decode(), langs[n].decode(), sources[n].decode() or None, counts[n])
                for n in reader.all_doc_ids()]
        self._column_rows = (version, rows)
        return self._column_rows

    def counts(self) -> IndexCounts:
        _, rows = self._columns()
        return IndexCounts(documents=len(rows), passages=sum(r[3] for r in rows))

    def passages_per_date(self) -> dict[tuple[str, str, str | None], int]:
        out: dict[tuple[str, str, str | None], int] = {}
        for date, lang, source, n in self._columns()[1]:
            if date:
                out[(date, lang, source)] = out.get((date, lang, source), 0) + n
        return out

    def candidates(self, key_sets: list[list[str]]) -> Iterator[StoredPassage]:
        key_sets = [ks for ks in key_sets if ks]
        if not key_sets:
            return iter(())
        searcher = self._current_searcher()
        query = Or([And([Term("keys", k) for k in ks]) for ks in key_sets])
        return (p for n in query.docs(searcher) for p in _passages(searcher.stored_fields(n)))

    def search(self, groups: list[list[str]], limit: int) -> list[tuple[StoredPassage, float]]:
        if not groups:
            return []
        searcher = self._current_searcher()
        query = And([Or([Term("keys", k) for k in g]) for g in groups])
        found: list[tuple[StoredPassage, float]] = []
        # Newest documents first (undated last), then by id, as on every backend; within a
        # document, the passages that have every word.
        order = MultiFacet([FieldFacet("date_column", reverse=True), FieldFacet("doc")])
        for hit in searcher.search(query, limit=None, sortedby=order):
            for passage in _passages(hit.fields()):
                keys = set(index_keys(passage.text))
                if all(any(k in keys for k in g) for g in groups):
                    found.append((passage, 1.0))
                    if len(found) >= limit:
                        return found
        return found

    def all_passages(self) -> Iterator[StoredPassage]:
        searcher = self._current_searcher()
        return (p for n in searcher.reader().all_doc_ids() for p in _passages(searcher.stored_fields(n)))

    def _stored(self, doc_id: str) -> dict[str, Any] | None:
        return self._current_searcher().document(doc=doc_id)  # type: ignore[no-any-return]

    def get_document(self, doc_id: str) -> Document | None:
        fields = self._stored(doc_id)
        if fields is None:
            return None
        return parse_document(doc_id, fields["body"], markdown=fields["meta"].get("markdown", True))

    def document_passages(self, doc_id: str) -> list[StoredPassage]:
        fields = self._stored(doc_id)
        return _passages(fields) if fields else []

    def document_ids(self) -> dict[str, str]:
        searcher = self._current_searcher()
        out = {}
        for n in searcher.reader().all_doc_ids():
            fields = searcher.stored_fields(n)
            out[fields["doc"]] = fields["meta"]["checksum"]
        return out

    # -- writing -------------------------------------------------------------------------
    def write(self, put: Iterable[Document] = (), delete: Iterable[str] = (),
              wait_seconds: float = WRITE_WAIT_SECONDS) -> None:
        """One durable commit under the write lock; waits for another writer up to a limit."""
        with exclusive_lock(self.root / LOCK, wait_seconds):
            target = os.readlink(self.root / CURRENT)
            ix = whoosh.index.open_dir(str(self.root / target))
            writer = ix.writer(limitmb=WRITER_MEMORY_MB)
            try:
                for doc_id in delete:
                    writer.delete_by_term("doc", doc_id)
                for doc in put:
                    writer.update_document(**_record(doc))
            except BaseException:
                writer.cancel()
                raise
            writer.commit()
            ix.close()
            fsync_tree(self.root / target)

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None
                self._target = None
