"""Small file-system helpers for writes that must survive a crash or kill -9."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from index.errors import StorageFull, WriterBusy

NO_SPACE = (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def no_space_is_storage_full(what: str) -> Iterator[None]:
    """Turn "no space left on device" into StorageFull, naming what could not be written."""
    try:
        yield
    except OSError as exc:
        if exc.errno in NO_SPACE:
            raise StorageFull(
                f"no space left on the device holding {what}: nothing was changed; free some space and retry"
            ) from exc
        raise


def file_signature(path: str | Path) -> tuple[int, int, int, int] | None:
    """What changes when a file is edited, replaced or chmod-ed (ctime); None when it is missing."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_ctime_ns)


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    """fsync every file in a folder, then the folder (whoosh itself never fsyncs)."""
    for child in path.iterdir():
        if child.is_file():
            fd = os.open(child, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
    fsync_dir(path)


def write_atomically(path: Path, data: bytes) -> None:
    """Write a file so that readers see the old or the new content, never a mix, durably."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def replace_symlink(link: Path, target: str) -> None:
    """Point `link` at `target` atomically (`ln -sfn` is not atomic), durably."""
    tmp = link.with_name(f".{link.name}.{os.getpid()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    os.symlink(target, tmp)
    os.replace(tmp, link)
    fsync_dir(link.parent)


@contextlib.contextmanager
def exclusive_lock(path: Path, wait_seconds: float = 0.0) -> Iterator[None]:
    """Hold an flock on `path`; wait up to `wait_seconds`, then raise WriterBusy.

    flock is released by the kernel when the holder dies, so a killed writer never leaves
    a stale lock behind.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    raise
                if time.monotonic() >= deadline:
                    raise WriterBusy(
                        f"another process is writing the index (lock {path}); try again when it has finished"
                    ) from None
                time.sleep(0.02)
        yield
    finally:
        os.close(fd)
