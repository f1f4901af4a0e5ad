"""Polling the sources of sources.yaml: run by the deployment's one background writer.

Each source is polled when due (its `every` after the last poll; after failures, twice as long
each time, up to a day): a conditional request (ETag / If-Modified-Since) that answers 304 costs
nothing more; a feed's articles and a single page are ingested (`index.ingest`: unchanged
articles are left alone, one bad article never stops the rest). What happened to each source is
stored in the index (`derived("sources")`), so that every worker's /api/status, the Sources page
and `glossary sources` show it, whichever host polled.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.durable import file_signature
from index.errors import DocumentError, FetchError, SourcesInvalid
from index.fetch import FetchPolicy, fetch
from index.ingest import Ingester, extract, feed_links, id_for_url, is_feed, now_iso
from index.library import Library
from index.sources import Source, load_sources

log = logging.getLogger(__name__)
STATE = "sources"  # the derived record holding every source's state
MAX_BACKOFF_SECONDS = 86_400
KEPT_ITEM_ERRORS = 10


def new_state(source: Source) -> dict[str, Any]:
    return {
        "name": source.name,
        "url": source.url,
        "every_seconds": source.every_seconds,
        "tags": list(source.tags),
        "polls": 0,
        "last_poll": None,
        "last_success": None,
        "last_error": None,
        "failures": 0,
        "next_poll": 0.0,
        "documents_added": 0,
        "documents_updated_last_poll": 0,
        "item_errors": [],
        "etag": None,
        "last_modified": None,
    }


def _iso(ts: float | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds")


def public_status(stored: dict[str, Any] | None) -> dict[str, Any]:
    """What the status endpoint, the Sources page and `glossary sources` show (no validators)."""
    data = stored["data"] if stored else {"sources": {}, "problems": []}
    sources = []
    for st in sorted(data["sources"].values(), key=lambda s: s["name"]):
        error = st["last_error"]
        sources.append(
            {
                "name": st["name"],
                "url": st["url"],
                "every_seconds": st["every_seconds"],
                "tags": st["tags"],
                "polls": st["polls"],
                "last_poll": _iso(st["last_poll"]),
                "last_success": _iso(st["last_success"]),
                "last_error": None if error is None else {"at": _iso(error["at"]), "message": error["message"]},
                "failures_in_a_row": st["failures"],
                "next_poll": _iso(st["next_poll"]) if st["polls"] else None,
                "documents_added": st["documents_added"],
                "documents_written_last_poll": st["documents_updated_last_poll"],
                "item_errors": [
                    {"at": _iso(e["at"]), "item": e["item"], "message": e["message"]} for e in st["item_errors"]
                ],
            }
        )
    return {"problems": data["problems"], "sources": sources}


class SourcePoller:
    def __init__(
        self,
        sources_path: str | Path,
        library: Library,
        policy: FetchPolicy,
        clock: Callable[[], float] = time.time,
    ):
        self.path = Path(sources_path)
        self.library = library
        self.policy = policy
        self.clock = clock
        self._sources: list[Source] = []  # the last valid file's
        self._problems: list[str] = []
        self._signature: tuple[int, ...] | None | bool = False  # False: never read

    def _read_sources(self) -> list[str]:
        """Problems of the file (empty when valid); a bad edit keeps the last good list. The
        file is parsed again only when it changed (the writer asks every half second)."""
        signature = file_signature(self.path)
        if signature != self._signature:
            self._signature = signature
            try:
                self._sources, self._problems = load_sources(self.path), []
            except SourcesInvalid as exc:
                self._problems = [str(p) for p in exc.problems]
        return self._problems

    def stored(self) -> dict[str, Any]:
        with self.library.index.snapshot() as snap:
            found = snap.derived(STATE)
        return found["data"] if found else {"sources": {}, "problems": []}

    def poll(self, force: bool = False) -> list[str]:
        """Poll every source that is due (all of them with `force`); returns their names."""
        problems = self._read_sources()
        state = self.stored()
        known = {s.name for s in self._sources}
        changed = problems != state.get("problems") or set(state["sources"]) != known
        states = {s.name: {**new_state(s), **state["sources"].get(s.name, {})} for s in self._sources}
        polled = []
        for source in self._sources:
            st = states[source.name]
            st.update(url=source.url, every_seconds=source.every_seconds, tags=list(source.tags))
            if force or self.clock() >= st["next_poll"]:
                self._poll_one(source, st)
                polled.append(source.name)
                self._store(states, problems)  # progress visible after each source
                changed = False
        if changed:
            self._store(states, problems)
        return polled

    def _store(self, states: dict[str, dict[str, Any]], problems: list[str]) -> None:
        self.library.index.store_derived(STATE, 0, {"sources": states, "problems": problems})

    def _poll_one(self, source: Source, st: dict[str, Any]) -> None:
        now = self.clock()
        st["polls"] += 1
        st["last_poll"] = now
        ingester = Ingester(self.library, self.policy, lang=source.lang)
        try:
            fetched = fetch(source.url, self.policy, etag=st["etag"], modified=st["last_modified"])
            if fetched is not None:
                st["etag"], st["last_modified"] = fetched.etag, fetched.last_modified
                if is_feed(fetched.body, fetched.content_type):
                    ingester.ingest(feed_links(fetched.body))
                else:
                    found = extract(fetched.body, fetched.content_type, fetched.url, fetched.charset)
                    ingester.write(id_for_url(found.url or fetched.url), found, fetched=now_iso())
        except DocumentError as exc:  # the source itself failed: back off
            st["failures"] += 1
            st["last_error"] = {"at": now, "message": str(exc)}
            backoff = min(source.every_seconds * 2 ** st["failures"], MAX_BACKOFF_SECONDS)
            st["next_poll"] = now + backoff
            level = logging.WARNING if isinstance(exc, FetchError) else logging.ERROR
            log.log(level, "source %s failed (%d in a row): %s", source.name, st["failures"], exc)
            return
        report = ingester.report
        st["failures"] = 0
        st["last_success"] = now
        st["next_poll"] = now + source.every_seconds
        st["documents_added"] += len(report.written)
        st["documents_updated_last_poll"] = len(report.written)
        errors = [{"at": now, "item": item, "message": why} for item, why in report.failed]
        st["item_errors"] = (errors + st["item_errors"])[:KEPT_ITEM_ERRORS]
        log.info("source %s: %d written, %d unchanged, %d failed", source.name, *map(len, vars(report).values()))
