"""The corpus folder and its index, written together: the one writer of documents."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from index.backends.base import PassageIndex
from index.corpus import (
    DOCUMENT_SUFFIXES,
    META_FIELDS,
    Document,
    Skipped,
    checksum_of,
    corpus_files,
    document_id_for,
    parse_document,
    read_document_file,
    read_text_file,
    validate_document_id,
)
from index.durable import exclusive_lock, fsync_dir, no_space_is_storage_full, write_atomically
from index.errors import DocumentError, NotFound
from index.journal import Journal

log = logging.getLogger(__name__)

LIBRARY_LOCK = "library.lock"


def render_document(meta: dict[str, Any], body: str) -> str:
    """A document file's text: YAML front matter for the fields that are set, then the body."""
    fields = {k: meta[k] for k in META_FIELDS if meta.get(k) not in (None, "")}
    if not fields:
        return body
    front = yaml.safe_dump(fields, allow_unicode=True, sort_keys=False).strip()
    return f"---\n{front}\n---\n{body}"


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[Skipped] = field(default_factory=list)


class Library:
    """Documents live as files in the corpus folder (the source of truth) and in the index."""

    def __init__(self, corpus_dir: str | Path | None, index: PassageIndex, lock_dir: str | Path):
        # corpus_dir None: the index is the only store (PostgreSQL, shared by many hosts).
        self.corpus_dir = Path(corpus_dir) if corpus_dir is not None else None
        self.index = index
        self._lock_path = Path(lock_dir) / LIBRARY_LOCK
        self.journal = Journal(self.corpus_dir) if self.corpus_dir is not None else None

    def _existing_file(self, doc_id: str) -> Path | None:
        if self.corpus_dir is None:
            return None
        for suffix in DOCUMENT_SUFFIXES:
            path = self.corpus_dir / f"{doc_id}{suffix}"
            if path.is_file():
                return path
        return None

    def _indexed(self, doc_id: str) -> bool:
        with self.index.snapshot() as snap:
            return snap.get_document(doc_id) is not None

    def put(self, doc_id: str, body: str, meta: dict[str, Any], wait_seconds: float = 10.0) -> tuple[Document, bool]:
        """Create or replace a document durably; returns (document, created)."""
        validate_document_id(doc_id)
        raw = render_document(meta, body)
        with exclusive_lock(self._lock_path, wait_seconds):
            if self.corpus_dir is None:
                created = not self._indexed(doc_id)
                doc = parse_document(doc_id, raw)
                self.index.write(put=[doc], wait_seconds=wait_seconds)
                return doc, created
            self._recover(wait_seconds)
            path = self._existing_file(doc_id)
            created = path is None
            path = path or self.corpus_dir / f"{doc_id}.md"
            doc = parse_document(doc_id, raw, markdown=path.suffix == ".md")
            with self._journaled(doc_id, path, wait_seconds):
                with no_space_is_storage_full("the corpus folder"):
                    write_atomically(path, raw.encode("utf-8"))
                self.index.write(put=[doc], wait_seconds=wait_seconds)
        return doc, created

    def delete(self, doc_id: str, wait_seconds: float = 10.0) -> None:
        validate_document_id(doc_id)
        with exclusive_lock(self._lock_path, wait_seconds):
            if self.corpus_dir is None:
                if not self._indexed(doc_id):
                    raise NotFound(f"no document {doc_id!r}")
                self.index.write(delete=[doc_id], wait_seconds=wait_seconds)
                return
            self._recover(wait_seconds)
            path = self._existing_file(doc_id)
            if path is None and not self._indexed(doc_id):
                raise NotFound(f"no document {doc_id!r}")
            path = path or self.corpus_dir / f"{doc_id}.md"
            with self._journaled(doc_id, path, wait_seconds):
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()
                    fsync_dir(path.parent)
                self.index.write(delete=[doc_id], wait_seconds=wait_seconds)

    @contextlib.contextmanager
    def _journaled(self, doc_id: str, path: Path, wait_seconds: float) -> Iterator[None]:
        """Write ahead: a write that fails part-way is undone at once, one killed part-way at `recover`."""
        assert self.journal is not None
        with no_space_is_storage_full("the corpus folder"):
            self.journal.begin(doc_id, path)
        try:
            yield
        except BaseException:
            try:
                self._recover(wait_seconds, "failed part-way")
            except Exception:  # noqa: BLE001 - the journal stays; the next write or start retries
                log.exception("could not undo the failed write of %r yet", doc_id)
            raise
        self.journal.finish()
        self._remove_empty_folders(path.parent)

    def recover(self, wait_seconds: float = 10.0) -> str | None:
        """Undo a document write that a crash stopped part-way; returns its document id."""
        if self.corpus_dir is None:
            return None
        with exclusive_lock(self._lock_path, wait_seconds):
            return self._recover(wait_seconds)

    def _recover(self, wait_seconds: float, why: str = "a crash interrupted") -> str | None:
        assert self.corpus_dir is not None and self.journal is not None
        pending = self.journal.pending()
        if pending is None:
            self.journal.discard()  # what an interrupted begin or finish left
            return None
        self.journal.restore_file(pending)
        self._remove_empty_folders(pending.path.parent)
        # The index may hold the write or not: make it agree with the restored file.
        path = self._existing_file(pending.doc_id)
        with self.index.snapshot() as snap:
            indexed = snap.get_document(pending.doc_id)
        if path is not None:
            try:
                doc: Document | None = read_document_file(self.corpus_dir, path)
            except DocumentError:  # unreadable: it keeps its last indexed version, as `sync` does
                doc = None
            if doc is not None and (indexed is None or indexed.checksum != doc.checksum):
                self.index.write(put=[doc], wait_seconds=wait_seconds)
        elif indexed is not None:
            self.index.write(delete=[pending.doc_id], wait_seconds=wait_seconds)
        self.journal.discard()
        log.warning("undid the write of document %r that %s", pending.doc_id, why)
        return pending.doc_id

    def _remove_empty_folders(self, folder: Path) -> None:
        """The folders a document id made (a/b/c), once nothing is left in them."""
        assert self.corpus_dir is not None
        root = Path(self.corpus_dir).resolve()
        folder = folder.resolve()
        while folder != root and root in folder.parents:
            try:
                folder.rmdir()  # only succeeds when empty
            except OSError:
                return
            folder = folder.parent

    def sync(self, on_file: Callable[[Path], None] | None = None, wait_seconds: float = 0.0) -> SyncReport:
        """Bring the index up to date with the folder: add, replace and remove documents.

        One pass finds what changed (by checksum); the changed files are then read again and
        streamed into one commit, so memory holds their ids, not their documents.
        """
        report = SyncReport()
        if self.corpus_dir is None:
            raise DocumentError("this library has no corpus folder to sync from")
        with exclusive_lock(self._lock_path, wait_seconds):
            self._recover(wait_seconds)
            with self.index.snapshot() as snap:
                indexed = snap.document_ids()
            stale: list[tuple[str, Path]] = []
            seen = set()
            for path in corpus_files(self.corpus_dir):
                if on_file:
                    on_file(path)
                doc_id = document_id_for(self.corpus_dir, path)
                seen.add(doc_id)  # a file that cannot be read now keeps its last indexed version
                try:
                    validate_document_id(doc_id)
                    raw = read_text_file(path)
                except DocumentError as exc:
                    report.skipped.append(Skipped(str(path), str(exc)))
                    continue
                if indexed.get(doc_id) == checksum_of(raw):
                    report.unchanged += 1
                else:
                    stale.append((doc_id, path))
            report.removed = sorted(set(indexed) - seen)

            def documents() -> Iterator[Document]:
                for doc_id, path in stale:
                    try:
                        doc = parse_document(doc_id, read_text_file(path), markdown=path.suffix.lower() == ".md")
                    except DocumentError as exc:
                        report.skipped.append(Skipped(str(path), str(exc)))
                        continue
                    (report.changed if doc_id in indexed else report.added).append(doc_id)
                    yield doc

            if stale or report.removed:
                self.index.write(put=documents(), delete=report.removed, wait_seconds=wait_seconds)
        return report
