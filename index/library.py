"""The corpus folder and its index, written together: the one writer of documents."""

from __future__ import annotations

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
    read_text_file,
    validate_document_id,
)
from index.durable import exclusive_lock, fsync_dir, write_atomically
from index.errors import DocumentError, NotFound

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
            else:
                path = self._existing_file(doc_id)
                created = path is None
                path = path or self.corpus_dir / f"{doc_id}.md"
                doc = parse_document(doc_id, raw, markdown=path.suffix == ".md")
                write_atomically(path, raw.encode("utf-8"))
            self.index.write(put=[doc], wait_seconds=wait_seconds)
        return doc, created

    def delete(self, doc_id: str, wait_seconds: float = 10.0) -> None:
        validate_document_id(doc_id)
        with exclusive_lock(self._lock_path, wait_seconds):
            path = self._existing_file(doc_id)
            if path is None and not self._indexed(doc_id):
                raise NotFound(f"no document {doc_id!r}")
            if path is not None:
                path.unlink()
                fsync_dir(path.parent)
                self._remove_empty_folders(path.parent)
            self.index.write(delete=[doc_id], wait_seconds=wait_seconds)

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
