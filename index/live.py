"""The glossary file as it is on disk: its last good version and the problems of the current one.

Workers watch the file so that `/api/status` can show a bad edit at once; the one background
writer takes the last good version, re-matches what it changes and stores it with the index.
Readers serve the glossary stored with the index, never this one directly, so a glossary and
the postings matched with it always change together. A bad file (invalid, missing, unreadable)
never stops anything: the last good glossary stays, and the problems are reported.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path

from index.durable import file_signature
from index.errors import GlossaryInvalid, Problem, ReviewInvalid
from index.glossary import Glossary, read_glossary_text
from index.review import load_review, with_review
from index.vocabulary import parse_glossary

log = logging.getLogger(__name__)
POLL_SECONDS = 0.5


class LiveGlossary:
    """Holds the last good glossary read from the file (None before one was ever read)."""

    def __init__(self, path: str | Path, poll_seconds: float = POLL_SECONDS, review_path: str | Path | None = None):
        self.path = Path(path)
        # The curators' review file: its rejected matches are served with the glossary.
        self.review_path = Path(review_path) if review_path is not None else None
        self.poll_seconds = poll_seconds
        self._lock = threading.Lock()
        self._checked_at = 0.0
        self._stat: tuple[int, ...] | None = None
        self.current: Glossary | None = None
        self.file_mtime = 0.0  # of the file `current` was read from
        self.problems: list[Problem] = []
        self.refresh(force=True)

    def _file_stat(self) -> tuple[int, ...] | None:
        found = file_signature(self.path)
        if found is None or self.review_path is None:
            return found
        return found + (file_signature(self.review_path) or (0,))

    def refresh(self, force: bool = False) -> Glossary | None:
        """Pick up a changed file, at most once per poll interval."""
        now = time.monotonic()
        if not force and now - self._checked_at < self.poll_seconds:
            return self.current
        if not self._lock.acquire(blocking=False):
            return self.current  # another thread is reloading; keep what we have
        try:
            self._checked_at = now
            stat = self._file_stat()
            if stat != self._stat or force:
                self._stat = stat
                self._reload(stat)
            return self.current
        finally:
            self._lock.release()

    def _reload(self, stat: tuple[int, ...] | None) -> None:
        if stat is None:
            self.problems = [Problem(str(self.path), None, None, None, "file is missing")]
            return
        try:
            text = read_glossary_text(self.path)
            if self.review_path is not None:
                text = with_review(text, load_review(self.review_path))
            glossary = parse_glossary(text, str(self.path))
        except (GlossaryInvalid, ReviewInvalid) as exc:
            if exc.problems != self.problems:
                log.error(
                    "glossary edit rejected, keeping version %s:\n%s",
                    self.current.version if self.current else "(none)",
                    exc,
                )
            self.problems = exc.problems
            return
        self.problems = []
        if self.current is None or glossary.version != self.current.version:
            log.info("glossary version %s read from %s (%d terms)", glossary.version, self.path, len(glossary))
        self.current = glossary
        # The newer of the two files: hosts sharing a database take the most recent edit of either.
        self.file_mtime = max(stat[0], stat[4] if len(stat) > 4 else 0) / 1e9
