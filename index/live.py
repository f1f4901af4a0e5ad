"""A glossary file that is re-read when it changes, without ever serving a bad edit."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path

from index.errors import GlossaryInvalid, Problem
from index.glossary import Glossary, load_glossary

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


class LiveGlossary:
    """Holds the last good glossary of a file and the problems of the file on disk, if any."""

    def __init__(self, path: str | Path, on_change: Callable[[Glossary], None] | None = None,
                 poll_seconds: float = POLL_SECONDS):
        self.path = Path(path)
        self.poll_seconds = poll_seconds
        self.on_change = on_change
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._stat: tuple[int, int, int] | None = self._file_stat()
        self.current: Glossary = load_glossary(self.path)  # a bad file at start-up is fatal
        self.problems: list[Problem] = []

    def _file_stat(self) -> tuple[int, int, int] | None:
        try:
            st = os.stat(self.path)
        except OSError:
            return None
        return (st.st_mtime_ns, st.st_size, st.st_ino)

    def refresh(self, force: bool = False) -> Glossary:
        """Re-read the file if it changed (at most once per poll interval); return the glossary."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.poll_seconds:
            return self.current
        if not self._lock.acquire(blocking=False):
            return self.current  # another thread is reloading; serve what we have
        try:
            self._checked_at = now
            stat = self._file_stat()
            if stat == self._stat and not force:
                return self.current
            self._stat = stat
            if stat is None:
                self.problems = [Problem(str(self.path), None, None, None, "file is missing")]
                log.error("glossary %s is missing; still serving version %s", self.path, self.current.version)
                return self.current
            try:
                glossary = load_glossary(self.path)
            except GlossaryInvalid as exc:
                self.problems = exc.problems
                log.error("glossary edit rejected, still serving version %s:\n%s", self.current.version, exc)
                return self.current
            self.problems = []
            if glossary.version != self.current.version:
                if self.on_change:
                    self.on_change(glossary)
                self.current = glossary
                log.info("glossary version %s loaded (%d terms)", glossary.version, len(glossary))
            return self.current
        finally:
            self._lock.release()
