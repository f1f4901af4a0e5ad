"""The deployment's one background writer: glossary edits and derived data, exactly once.

Every worker of every host runs a `BackgroundWriter`, but only the process holding the index's
writer lock (an flock beside a whoosh index, an advisory lock in PostgreSQL) does anything; the
kernel or the database frees that lock when its holder dies, and another worker takes over.
Its work, in order:
1. A new valid glossary on disk (or postings made by an older matcher): re-match what the
   edit can change and store the glossary with the postings, in one commit. Until then every
   reader keeps answering from the previous glossary and postings.
2. Derived data (candidate terms) older than the index content: computed again, at most once
   per `derived_every` seconds, and stored for readers.
3. Alias suggestions, when the corpus, the glossary or review.yaml changed (at most once per
   `derived_every` seconds): the whole corpus scanned, the result stored for readers.
4. The sources of sources.yaml that are due: polled, their new articles written as documents.
Progress goes to the index (`publish_job`), so that every worker's /api/status shows it.
"""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from index.aliases import DERIVED_NAME as ALIASES
from index.aliases import suggest_aliases
from index.backends.base import PassageIndex
from index.candidates import DERIVED_NAME as CANDIDATES
from index.candidates import find_candidates
from index.errors import ReviewInvalid
from index.glossary import Glossary
from index.live import LiveGlossary
from index.poller import SourcePoller
from index.postings import MATCHER_VERSION
from index.review import Review, load_review
from index.vocabulary import glossary_from_text, matcher_for

log = logging.getLogger(__name__)
CANDIDATES_KEPT = 200
# Candidate terms are found among the newest passages: what a field is starting to say, at a
# cost (time and memory) that does not grow with the corpus.
CANDIDATES_FROM_PASSAGES = 20_000
PROGRESS_EVERY = 0.5  # seconds between progress reports


def alias_data(index: PassageIndex, review: Review) -> dict[str, Any]:
    """Alias suggestions over the whole corpus, as stored for readers (`derived("aliases")`)."""
    with index.snapshot() as snap:
        glossary = glossary_from_text(snap.state.glossary_text)
        found = suggest_aliases(snap.all_passages(), glossary, matcher_for(glossary), review.rejected_aliases)
        key = alias_key(snap.state.content_version, snap.state.glossary_version, review)
    return {"key": key, "suggestions": [s.as_dict() for s in found]}


def alias_key(content_version: int, glossary_version: str, review: Review) -> str:
    """What alias suggestions depend on: the corpus, the glossary and the curators' rejections."""
    return f"{content_version}:{glossary_version}:{review.version}"


def candidates_data(index: PassageIndex) -> tuple[int, list[dict[str, Any]]]:
    """Candidate terms of the index's current content, as stored for readers."""
    with index.snapshot() as snap:
        glossary = glossary_from_text(snap.state.glossary_text)
        found = find_candidates(snap.recent_passages(CANDIDATES_FROM_PASSAGES), glossary, limit=CANDIDATES_KEPT)
        content_version = snap.state.content_version
    return content_version, [
        {
            "phrase": c.phrase,
            "passages": c.passages,
            "documents": c.documents,
            "rise": c.rise,
            "score": c.score,
            "examples": [
                {"doc": p.doc, "passage": p.id, "title": p.title, "date": p.date, "text": p.text} for p in c.examples
            ],
        }
        for c in found
    ]


class BackgroundWriter:
    def __init__(
        self,
        index: PassageIndex,
        live: LiveGlossary,
        derived_every: float = 30.0,
        poller: SourcePoller | None = None,
        review_path: str | Path | None = None,
    ):
        self.index = index
        self.live = live
        self.poller = poller
        self.review_path = review_path
        self._review_problem = ""
        self.derived_every = derived_every
        self._derived_at = 0.0
        self._aliases_at = 0.0
        self._reported = 0.0
        self._proposed: str | None = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()

    def _report(self, data: dict[str, Any], force: bool = False) -> None:
        now = time.monotonic()
        if force or now - self._reported >= PROGRESS_EVERY:
            self._reported = now
            self.index.publish_job({**data, "updated_at": time.time()})

    def propose(self) -> None:
        """Offer this host's glossary file to the deployment's writer (hosts sharing a database)."""
        current = self.live.refresh()
        if current is not None and current.version != self._proposed:
            self.index.propose_glossary(current, self.live.file_mtime)
            self._proposed = current.version

    def wanted_glossary(self) -> Glossary | None:
        """The glossary the index should hold, when it does not hold it yet."""
        wanted = self.index.proposed_glossary() or self.live.current
        state = self.index.state()
        if wanted is None:
            wanted = glossary_from_text(state.glossary_text)
        if state.matcher_version != MATCHER_VERSION or wanted.version != state.glossary_version:
            return wanted
        return None

    def run_once(self, force_derived: bool = False) -> list[str]:
        """Do what is due, if this process is the writer; returns what was done."""
        self.propose()
        if not self.index.try_writer_lock():
            return []
        done = []
        glossary = self.wanted_glossary()
        if glossary is not None:
            started = time.time()
            job = {"job": "rematch", "glossary_version": glossary.version, "started_at": started}
            self._report({**job, "state": "running", "done": 0, "total": None}, force=True)
            try:
                report = self.index.rematch(
                    glossary,
                    progress=lambda n, total: self._report({**job, "state": "running", "done": n, "total": total}),
                    wait_seconds=60.0,
                )
            except Exception as exc:
                self._report({**job, "state": "failed", "error": str(exc)}, force=True)
                raise
            self._report(
                {
                    **job,
                    "state": "done",
                    "done": report.documents_checked,
                    "total": report.documents_checked,
                    "changed": report.documents_changed,
                    "seconds": round(time.time() - started, 3),
                },
                force=True,
            )
            log.info(
                "glossary %s stored: %d documents checked, %d re-matched",
                glossary.version,
                report.documents_checked,
                report.documents_changed,
            )
            done.append("rematch")
        if self._derived_due(force_derived):
            self._derived_at = time.monotonic()
            content_version, data = candidates_data(self.index)
            self.index.store_derived(CANDIDATES, content_version, data)
            done.append(CANDIDATES)
        if self._aliases_due(force_derived):
            self._aliases_at = started = time.monotonic()
            aliases = alias_data(self.index, self._review())
            self.index.store_derived(ALIASES, 0, aliases)
            log.info("alias suggestions: %d in %.1f s", len(aliases["suggestions"]), time.monotonic() - started)
            done.append(ALIASES)
        if self.poller is not None:
            done += [f"poll:{name}" for name in self.poller.poll()]
        return done

    def _review(self) -> Review:
        if self.review_path is None:
            return Review()
        try:
            return load_review(self.review_path)
        except ReviewInvalid as exc:  # a bad edit of review.yaml: no rejections until it is fixed
            if str(exc) != self._review_problem:  # once per bad edit, not every half second
                log.error("review file rejected:\n%s", exc)
                self._review_problem = str(exc)
            return Review()

    def _aliases_due(self, force: bool) -> bool:
        with self.index.snapshot() as snap:
            stored = snap.derived(ALIASES)
            key = alias_key(snap.state.content_version, snap.state.glossary_version, self._review())
        if stored is not None and stored["data"]["key"] == key:
            return False
        return force or stored is None or time.monotonic() - self._aliases_at >= self.derived_every

    def _derived_due(self, force: bool) -> bool:
        with self.index.snapshot() as snap:
            stored = snap.derived(CANDIDATES)
            current = snap.state.content_version
        if stored is not None and stored["content_version"] == current:
            return False
        return force or stored is None or time.monotonic() - self._derived_at >= self.derived_every

    def start(self, interval: float) -> None:
        """Run in a daemon thread: check every `interval` seconds; failures are logged and retried."""

        def loop() -> None:
            while not self._stop.wait(interval):
                try:
                    self.run_once()
                except Exception:  # noqa: BLE001 - the writer must outlive a failed attempt
                    log.exception("background writer failed; will retry")

        self._thread = threading.Thread(target=loop, name="background-writer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
