"""Documents from what teams collect: HTML and PDF files, web pages, RSS/Atom feeds.

Each item becomes a corpus document written through the Library (corpus file and index, all or
nothing). A web document's id comes from its canonical URL (`web/<host>/<path>-<hash>`), so the
same article polled again, or found in two feeds, is the same document: replaced when its text
changed, left alone when not. One bad item (a broken PDF, a page with no main text, a feed that
is not XML) is reported, and the rest of the batch goes on.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from index.corpus import checksum_of, decode_text, validate_document_id
from index.errors import DocumentError
from index.extract import Extracted, from_html, from_pdf, kind_of
from index.fetch import FetchPolicy, fetch
from index.library import Library, render_document

FEED_TYPES = ("application/rss+xml", "application/atom+xml", "application/xml", "text/xml", "application/rdf+xml")


@dataclass
class IngestReport:
    written: list[str] = field(default_factory=list)  # document ids added or replaced
    unchanged: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (item, why)


def extract(
    raw: bytes, content_type: str | None = None, url: str | None = None, charset: str | None = None
) -> Extracted:
    """The text and metadata of one file's bytes, whatever its format."""
    kind = kind_of(raw, content_type)
    if kind == "pdf":
        found = from_pdf(raw)
    elif kind == "html":
        found = from_html(raw, url, charset)
    else:
        return Extracted(text=decode_text(raw), url=url)
    return dataclasses.replace(found, url=url) if url and not found.url else found


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


TRACKING = re.compile(r"^(utm_[a-z]+|fbclid|gclid|mc_cid|mc_eid)$")


def canonical(url: str) -> str:
    """The URL an article is known by: no fragment, no tracking parameters (a feed's utm_source),
    lower-case host, no default port."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if parts.port and parts.port not in (80, 443):
        host = f"{host}:{parts.port}"
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if not TRACKING.match(k)])
    return urlunsplit((parts.scheme.lower(), host, parts.path or "/", query, ""))


def id_for_url(url: str) -> str:
    """A stable document id for a URL: `web/<host>/<path slug>-<8 hex>`."""
    url = canonical(url)
    parts = urlsplit(url)
    host = _slug((parts.hostname or "site").removeprefix("www.")) or "site"
    path = _slug(parts.path.strip("/").replace("/", "-"))[:60].strip("-._") or "index"
    digest = hashlib.sha1(url.encode("utf-8")).hexdigest()[:8]
    return validate_document_id(f"web/{host[:60]}/{path}-{digest}")


def id_for_text(text: str) -> str:
    """An id for a document that came with no id and no URL: `doc-<12 hex of its text>`."""
    return f"doc-{hashlib.sha1(text.encode('utf-8', 'surrogatepass')).hexdigest()[:12]}"


def id_for_file(path: Path) -> str:
    return validate_document_id(_slug(path.stem)[:100].strip("-._") or "document")


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-._")


def is_feed(raw: bytes, content_type: str | None) -> bool:
    if (content_type or "") in ("application/rss+xml", "application/atom+xml"):
        return True
    head = raw[:2048].lstrip().lower()
    if head.startswith(b"<?xml"):
        head = head[head.find(b"?>") + 2 :].lstrip()
        while head.startswith(b"<!--") or head.startswith(b"<?"):
            head = head[head.find(b">") + 1 :].lstrip()
    return head.startswith((b"<rss", b"<feed", b"<rdf:rdf"))


def feed_links(raw: bytes) -> list[str]:
    """The article links of an RSS or Atom feed, in the feed's order."""
    import feedparser  # imported here: only ingest needs it

    parsed = feedparser.parse(raw)
    links = [entry.get("link") for entry in parsed.entries]
    links = [link for link in links if isinstance(link, str) and link.startswith(("http://", "https://"))]
    if parsed.bozo and not links:  # malformed XML that yields nothing (a well-formed empty feed is fine)
        raise DocumentError(f"not a readable feed: {parsed.bozo_exception}")
    return links


class Ingester:
    """Writes items into a Library, counting what happened in `report`."""

    def __init__(
        self,
        library: Library,
        policy: FetchPolicy,
        on_item: Callable[[str], None] | None = None,
        lang: str | None = None,
    ):
        self.library = library
        self.policy = policy
        self.on_item = on_item
        self.lang = lang  # a source's language, for every document it brings
        self.report = IngestReport()

    def ingest(self, targets: Iterable[str]) -> IngestReport:
        for target in targets:
            path = Path(target)
            if not target.startswith(("http://", "https://")) and path.is_file():
                self._guarded(target, functools.partial(self._file, path))
            else:
                self._guarded(target, functools.partial(self._url, target, True))
        return self.report

    def _guarded(self, item: str, work: Callable[[], None]) -> None:
        try:
            work()
        except DocumentError as exc:
            self.report.failed.append((item, str(exc)))
        if self.on_item:
            self.on_item(item)

    def _file(self, path: Path) -> None:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            raise DocumentError(f"cannot read: {exc.strerror}") from None
        if is_feed(raw, None):
            for link in feed_links(raw):
                self._guarded(link, functools.partial(self._url, link, False))
            return
        content_type = "text/html" if path.suffix.lower() in (".html", ".htm") else None
        self.write(id_for_file(path), extract(raw, content_type))

    def _url(self, url: str, follow_feeds: bool) -> None:
        fetched = fetch(url, self.policy)
        assert fetched is not None  # no conditional headers were sent
        if follow_feeds and is_feed(fetched.body, fetched.content_type):
            for link in feed_links(fetched.body):
                self._guarded(link, functools.partial(self._url, link, False))
            return
        found = extract(fetched.body, fetched.content_type, fetched.url, fetched.charset)
        self.write(id_for_url(found.url or fetched.url), found, fetched=now_iso())

    def write(self, doc_id: str, found: Extracted, fetched: str | None = None) -> None:
        meta: dict[str, Any] = {**found.meta(), "fetched": fetched}
        if self.lang:
            meta["lang"] = self.lang
        with self.library.index.snapshot() as snap:
            existing = snap.get_document(doc_id)
        # Unchanged: the same text and metadata, whenever it was fetched.
        if existing is not None and existing.checksum == checksum_of(
            render_document({**meta, "fetched": existing.fetched}, found.text)
        ):
            self.report.unchanged.append(doc_id)
            return
        self.library.put(doc_id, found.text, meta)
        self.report.written.append(doc_id)
