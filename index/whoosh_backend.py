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
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import whoosh.index
from whoosh.fields import ID, KEYWORD, NUMERIC, STORED, Schema
from whoosh.query import And, Or, Term
from whoosh.searching import Searcher

from index.backend import IndexCounts, PassageIndex, StoredPassage
from index.corpus import Document, parse_document
from index.durable import exclusive_lock, fsync_tree, replace_symlink
from index.errors import GlossaryServiceError
from index.text import index_keys

CURRENT = "current"
LOCK = "write.lock"
WRITE_WAIT_SECONDS = 10.0


class IndexMissing(GlossaryServiceError):
    """There is no built index in the folder."""


def passage_schema() -> Schema:
    return Schema(
        pid=ID(stored=True, unique=True),
        kind=ID(stored=True),  # "p" passage, "d" document record
        doc=ID(stored=True),
        ordinal=NUMERIC(stored=True),
        # Columns (sortable) let corpus-wide counts per date skip the stored fields.
        date=ID(stored=True, sortable=True),
        lang=ID(stored=True, sortable=True),
        source=ID(stored=True, sortable=True),
        title=STORED(),
        text=STORED(),
        meta=STORED(),
        # The shared analysis's keys, space-joined: KEYWORD splits them without a regex pass.
        keys=KEYWORD(scorable=True, lowercase=False),
    )


def _records(doc: Document) -> Iterator[dict[str, Any]]:
    yield {"pid": doc.id, "kind": "d", "doc": doc.id, "ordinal": 0, "date": doc.date or "",
           "lang": doc.lang, "source": doc.source or "", "title": doc.title, "text": doc.body,
           "meta": {"url": doc.url, "checksum": doc.checksum, "markdown": doc.markdown}}
    for p in doc.passages:
        yield {"pid": p.id, "kind": "p", "doc": doc.id, "ordinal": p.ordinal, "date": doc.date or "",
               "lang": doc.lang, "source": doc.source or "", "title": doc.title, "text": p.text,
               "keys": " ".join(index_keys(p.text))}


def _passage(fields: dict[str, Any]) -> StoredPassage:
    return StoredPassage(fields["pid"], fields["doc"], fields["ordinal"], fields["text"],
                         fields.get("title", ""), fields.get("date") or None, fields.get("lang", "en"),
                         fields.get("source") or None)


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
            writer = ix.writer(procs=procs, multisegment=True, limitmb=64) if procs > 1 else ix.writer(limitmb=64)
            try:
                for doc in documents:
                    for record in _records(doc):
                        writer.add_document(**record)
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
        self._counts: tuple[str, IndexCounts] | None = None
        self._per_date: tuple[str, dict[tuple[str, str, str | None], int]] | None = None
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

    def counts(self) -> IndexCounts:
        version = self.version()
        if self._counts and self._counts[0] == version:
            return self._counts[1]
        searcher = self._current_searcher()
        counts = IndexCounts(
            documents=sum(1 for _ in Term("kind", "d").docs(searcher)),
            passages=sum(1 for _ in Term("kind", "p").docs(searcher)),
        )
        self._counts = (version, counts)
        return counts

    def passages_per_date(self) -> dict[tuple[str, str, str | None], int]:
        version = self.version()
        if self._per_date and self._per_date[0] == version:
            return self._per_date[1]
        searcher = self._current_searcher()
        reader = searcher.reader()
        dates, langs, sources = (reader.column_reader(name) for name in ("date", "lang", "source"))
        counts: dict[tuple[str, str, str | None], int] = {}
        for n in Term("kind", "p").docs(searcher):
            date = dates[n]
            if date:
                key = (date, langs[n], sources[n] or None)
                counts[key] = counts.get(key, 0) + 1
        self._per_date = (version, counts)
        return counts

    def candidates(self, key_sets: list[list[str]]) -> Iterator[StoredPassage]:
        key_sets = [ks for ks in key_sets if ks]
        if not key_sets:
            return iter(())
        searcher = self._current_searcher()
        query = And([Term("kind", "p"), Or([And([Term("keys", k) for k in ks]) for ks in key_sets])])
        return (_passage(searcher.stored_fields(n)) for n in query.docs(searcher))

    def search(self, groups: list[list[str]], limit: int) -> list[tuple[StoredPassage, float]]:
        if not groups:
            return []
        searcher = self._current_searcher()
        query = And([Term("kind", "p"), *(Or([Term("keys", k) for k in g]) for g in groups)])
        return [(_passage(hit.fields()), float(hit.score or 0.0)) for hit in searcher.search(query, limit=limit)]

    def all_passages(self) -> Iterator[StoredPassage]:
        searcher = self._current_searcher()
        return (_passage(searcher.stored_fields(n)) for n in Term("kind", "p").docs(searcher))

    def get_document(self, doc_id: str) -> Document | None:
        searcher = self._current_searcher()
        fields = searcher.document(pid=doc_id, kind="d")
        if fields is None:
            return None
        return parse_document(doc_id, fields["text"], markdown=fields["meta"].get("markdown", True))

    def document_passages(self, doc_id: str) -> list[StoredPassage]:
        searcher = self._current_searcher()
        query = And([Term("kind", "p"), Term("doc", doc_id)])
        return sorted((_passage(searcher.stored_fields(n)) for n in query.docs(searcher)), key=lambda p: p.ordinal)

    def document_ids(self) -> dict[str, str]:
        searcher = self._current_searcher()
        out = {}
        for n in Term("kind", "d").docs(searcher):
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
            writer = ix.writer(limitmb=64)
            try:
                for doc_id in delete:
                    writer.delete_by_term("doc", doc_id)
                for doc in put:
                    writer.delete_by_term("doc", doc.id)
                    for record in _records(doc):
                        writer.add_document(**record)
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
