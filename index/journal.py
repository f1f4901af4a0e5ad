"""The corpus folder's write-ahead record: the one document write in progress, and how to undo it.

A document write touches two stores, the corpus file and the index, and a crash (or a full
disk) can stop it between them. Before touching either, the writer records which file it is
about to change and keeps the file's previous version (a hard link: no copy, no extra space).
The record is removed only once both stores are written, just before the client is told; so a
record found later means the client never got a 2xx, and the write is undone: the previous file
comes back, and the index is made to agree with it (`Library.recover`).
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from index.durable import fsync_dir, write_atomically

JOURNAL_DIR = ".pending"  # hidden: the corpus walk leaves it out
RECORD = "write.json"
PREVIOUS = "previous"


@dataclass(frozen=True)
class PendingWrite:
    doc_id: str
    path: Path  # the corpus file the write changes
    had_previous: bool  # the file existed before the write


class Journal:
    def __init__(self, corpus_dir: Path):
        self.corpus_dir = corpus_dir
        self.folder = corpus_dir / JOURNAL_DIR

    def begin(self, doc_id: str, path: Path) -> None:
        """Record the write about to change `path`; on failure nothing is left behind."""
        self.discard()
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            had_previous = path.is_file()
            if had_previous:
                _keep_previous(path, self.folder / PREVIOUS)
            record = {"id": doc_id, "path": path.relative_to(self.corpus_dir).as_posix(), "had_previous": had_previous}
            write_atomically(self.folder / RECORD, json.dumps(record).encode("utf-8"))
        except BaseException:
            self.discard()
            raise

    def pending(self) -> PendingWrite | None:
        try:
            record = json.loads((self.folder / RECORD).read_bytes())
        except FileNotFoundError:
            return None
        return PendingWrite(record["id"], self.corpus_dir / record["path"], record["had_previous"])

    def restore_file(self, pending: PendingWrite) -> None:
        """Put the corpus file back as it was before the write (the index is not touched here)."""
        previous = self.folder / PREVIOUS
        if pending.had_previous:
            if previous.exists():  # else the crash came before the file was changed
                os.replace(previous, pending.path)
                fsync_dir(pending.path.parent)
        else:
            with contextlib.suppress(FileNotFoundError):
                pending.path.unlink()
                fsync_dir(pending.path.parent)

    def finish(self) -> None:
        """The write is complete (both stores): forget it. This is the write's commit point."""
        (self.folder / RECORD).unlink()
        fsync_dir(self.folder)
        self.discard()

    def discard(self) -> None:
        """Remove whatever the journal folder holds (a record's leftovers, an interrupted begin)."""
        shutil.rmtree(self.folder, ignore_errors=True)


def _keep_previous(path: Path, keep: Path) -> None:
    try:
        os.link(path, keep)
    except OSError as exc:
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.EOPNOTSUPP, errno.EMLINK):
            raise
        shutil.copyfile(path, keep)  # a file system without hard links
    fsync_dir(keep.parent)
