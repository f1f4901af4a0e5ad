"""A glossary file that is re-read when it changes, without ever serving a bad edit.

With a shared store (PostgreSQL), the glossary is also shared between hosts: a host that sees
a valid edit of its own file publishes it, and every host polls the shared version row and
loads a newer glossary from there. A version row rather than LISTEN/NOTIFY: one indexed
single-row read every half second per worker costs nothing, needs no long-lived connection
that must be re-established after failover, and cannot miss a notification sent while a
worker was restarting.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from index.errors import GlossaryInvalid, Problem
from index.glossary import Glossary, parse_glossary, read_glossary_text

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


class SharedGlossary(Protocol):
    def shared_glossary_version(self) -> str | None: ...
    def shared_glossary(self) -> tuple[str, str, float] | None: ...
    def publish_glossary(self, version: str, text: str) -> None: ...


class LiveGlossary:
    """Holds the last good glossary and the problems of the file on disk, if any."""

    def __init__(self, path: str | Path, on_change: Callable[[Glossary], None] | None = None,
                 poll_seconds: float = POLL_SECONDS, shared: SharedGlossary | None = None):
        self.path = Path(path)
        self.poll_seconds = poll_seconds
        self.on_change = on_change
        self.shared = shared
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._stat: tuple[int, int, int] | None = self._file_stat()
        text = read_glossary_text(self.path)
        self.current: Glossary = parse_glossary(text, str(self.path))  # a bad file at start-up is fatal
        self.problems: list[Problem] = []
        if shared is not None:
            self._join_shared(text)

    def _join_shared(self, text: str) -> None:
        published = self.shared.shared_glossary() if self.shared else None
        mtime = self._stat[0] / 1e9 if self._stat else 0.0
        if published is None or (published[0] != self.current.version and mtime > published[2]):
            self.shared.publish_glossary(self.current.version, text)  # type: ignore[union-attr]
        elif published[0] != self.current.version:
            self._apply_text(published[1], "the shared glossary")

    def _file_stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def _apply_text(self, text: str, origin: str) -> Glossary | None:
        try:
            glossary = parse_glossary(text, str(self.path))
        except GlossaryInvalid as exc:
            self.problems = exc.problems
            log.error("glossary edit rejected (%s), still serving version %s:\n%s", origin, self.current.version, exc)
            return None
        self.problems = []
        if glossary.version != self.current.version:
            if self.on_change:
                self.on_change(glossary)
            self.current = glossary
            log.info("glossary version %s loaded from %s (%d terms)", glossary.version, origin, len(glossary))
        return glossary

    def refresh(self, force: bool = False) -> Glossary:
        """Pick up a changed file (or shared version), at most once per poll interval."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.poll_seconds:
            return self.current
        if not self._lock.acquire(blocking=False):
            return self.current  # another thread is reloading; serve what we have
        try:
            self._checked_at = now
            stat = self._file_stat()
            if stat != self._stat or force:
                self._stat = stat
                self._reload_file(stat)
            if self.shared is not None:
                version = self.shared.shared_glossary_version()
                if version and version != self.current.version:
                    published = self.shared.shared_glossary()
                    if published:
                        self._apply_text(published[1], "the shared glossary")
            return self.current
        finally:
            self._lock.release()

    def _reload_file(self, stat: tuple[int, int, int] | None) -> None:
        if stat is None:
            self.problems = [Problem(str(self.path), None, None, None, "file is missing")]
            log.error("glossary %s is missing; still serving version %s", self.path, self.current.version)
            return
        try:
            text = read_glossary_text(self.path)
        except GlossaryInvalid as exc:
            self.problems = exc.problems
            log.error("glossary edit rejected, still serving version %s:\n%s", self.current.version, exc)
            return
        before = self.current.version
        glossary = self._apply_text(text, str(self.path))
        if glossary is not None and glossary.version != before and self.shared is not None:
            self.shared.publish_glossary(glossary.version, text)
