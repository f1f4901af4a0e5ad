"""sources.yaml and its poller: validation, conditional polls, backoff, one poller, the CLI.

Real feeds and pages from a loopback server (tests/support/website.py); a clock we move forward
instead of waiting for poll intervals.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from index.backends.whoosh import WhooshIndex
from index.corpus import read_corpus
from index.errors import SourcesInvalid
from index.fetch import FetchPolicy
from index.ingest import id_for_url
from index.library import Library
from index.live import LiveGlossary
from index.poller import SourcePoller, public_status
from index.sources import parse_sources
from index.vocabulary import load_glossary
from index.writer import BackgroundWriter
from service.cli import main
from tests.support import DATA
from tests.support.website import ENGLISH, KOREAN, Website, article, rss

LOOPBACK = FetchPolicy.allowing(["127.0.0.1/32"], total_seconds=3.0)


def test_sources_yaml_errors_name_line_source_and_field() -> None:
    text = """sources:
  - name: nvidia
    url: https://blogs.example/feed
    every: 30m
  - name: broken
    url: ftp://example.org/x
    evry: 5m
  - name: nvidia
    url: https://other.example/
  - name: slow
    url: https://slow.example/
    every: soon
"""
    with pytest.raises(SourcesInvalid) as caught:
        parse_sources(text)
    found = [str(p) for p in caught.value.problems]
    assert "sources.yaml:6: source broken: field url: an http(s) URL" in found
    assert "sources.yaml:7: source broken: field evry: Unknown field; did you mean `every`?" in found
    assert "sources.yaml:8: source nvidia: field name: another source has this name" in found
    assert "sources.yaml:12: source slow: field every: a duration such as 90s, 30m, 2h or 1d" in found
    good = parse_sources("sources:\n  - name: a\n    url: https://a.example/feed\n    every: 2h\n    lang: ko\n")
    assert [(s.name, s.every_seconds, s.lang) for s in good] == [("a", 7200, "ko")]
    assert parse_sources("") == []


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def site() -> Iterator[Website]:
    running = Website()
    yield running
    running.stop()


@pytest.fixture
def library(tmp_path: Path) -> Iterator[Library]:
    index = tmp_path / "index"
    WhooshIndex(index).replace_all(read_corpus(DATA / "corpus"), load_glossary(DATA / "glossary.yaml"))
    found = Library(tmp_path / "corpus", WhooshIndex(index), index)
    yield found
    found.index.close()


def test_polls_ask_only_for_changes_back_off_after_failures_and_never_duplicate(
    site: Website, library: Library, tmp_path: Path
) -> None:
    a = site.page("/a", article("Sovereign AI in Korea", ENGLISH))
    b = site.page("/b", article("소버린 AI", KOREAN, lang="ko"))
    gone = site.status("/gone", 404)
    site.page("/rss.xml", rss([("A", a), ("B", b), ("Gone", gone)]), "application/rss+xml", etag='"feed-1"')
    site.page("/page", article("A single page about AI factories", ENGLISH[1:]))
    down = site.status("/down.xml", 500)
    sources = tmp_path / "sources.yaml"
    sources.write_text(
        f"sources:\n  - name: news\n    url: {site.url}/rss.xml\n    every: 10m\n"
        f"  - name: one-page\n    url: {site.url}/page\n    every: 1h\n"
        f"  - name: down\n    url: {down}\n    every: 10m\n"
    )
    clock = Clock()
    poller = SourcePoller(sources, library, LOOPBACK, clock=clock)
    assert sorted(poller.poll()) == ["down", "news", "one-page"]
    status = {s["name"]: s for s in public_status({"data": poller.stored()})["sources"]}
    assert status["news"]["documents_added"] == 2 and status["news"]["failures_in_a_row"] == 0
    assert [e["item"] for e in status["news"]["item_errors"]] == [gone]  # the rest went on
    assert status["one-page"]["documents_added"] == 1
    assert status["down"]["failures_in_a_row"] == 1 and "HTTP 500" in status["down"]["last_error"]["message"]
    with library.index.snapshot() as snap:
        assert snap.get_document(id_for_url(a)) is not None and snap.get_document(id_for_url(b)).lang == "ko"

    # Nothing is due before its interval; the failing source waits twice as long.
    clock.now += 60
    assert poller.poll() == []
    clock.now += 600
    assert poller.poll() == ["news"]  # "down" backs off to 20 minutes
    assert site.hits["/a"] == 1, "a 304 for the feed: its articles are not fetched again"
    clock.now += 600
    assert sorted(poller.poll()) == ["down", "news"]
    assert public_status({"data": poller.stored()})["sources"][0]["failures_in_a_row"] == 2

    # A changed article and a changed feed: the document is replaced, not duplicated.
    site.page("/a", article("Sovereign AI in Korea", ENGLISH + ["A new paragraph on physical AI and robots."]))
    site.page("/rss.xml", rss([("A", a), ("B", b)]), "application/rss+xml", etag='"feed-2"')
    clock.now += 600
    poller.poll()
    with library.index.snapshot() as snap:
        doc = snap.get_document(id_for_url(a))
        assert doc is not None and len(doc.passages) == 4
        assert sum(1 for i in snap.document_ids() if i.startswith("web/")) == 3

    # A bad edit of sources.yaml is reported, and the last good list is still followed.
    sources.write_text("sources:\n  - name: news\n    url: nope\n")
    clock.now += 3600
    assert "news" in poller.poll(force=True)
    assert "field url" in public_status({"data": poller.stored()})["problems"][0]


def test_only_the_writer_lock_holder_polls(site: Website, library: Library, tmp_path: Path) -> None:
    site.page("/rss.xml", rss([("A", site.page("/a", article("Sovereign AI", ENGLISH)))]), "application/rss+xml")
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: news\n    url: {site.url}/rss.xml\n")
    live = LiveGlossary(DATA / "glossary.yaml", poll_seconds=0)
    writers = [
        BackgroundWriter(WhooshIndex(library.index.root), live, poller=SourcePoller(sources, library, LOOPBACK))  # type: ignore[attr-defined]
        for _ in range(2)
    ]
    done = [w.run_once() for w in writers]
    assert "poll:news" in done[0] and done[1] == []  # the second is not the writer
    assert site.hits["/rss.xml"] == 1
    for w in writers:
        w.index.close()


def test_glossary_poll_once_and_glossary_sources(site: Website, tmp_path: Path) -> None:
    site.page("/rss.xml", rss([("A", site.page("/a", article("Sovereign AI", ENGLISH)))]), "application/rss+xml")
    (tmp_path / "corpus").mkdir()
    where = ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]
    assert (
        CliRunner().invoke(main, ["build", "--quiet", *where, "--glossary", str(DATA / "glossary.yaml")]).exit_code == 0
    )
    sources = tmp_path / "sources.yaml"
    sources.write_text(f"sources:\n  - name: news\n    url: {site.url}/rss.xml\n    tags: [gpu]\n")
    env = {"GLOSSARY_SERVICE_FETCH_ALLOW": "127.0.0.1/32"}
    result = CliRunner().invoke(main, ["poll", "--once", "--sources", str(sources), *where], env=env)
    assert result.exit_code == 0, result.output
    assert "polled news" in result.output and "1 documents" in result.output
    result = CliRunner().invoke(main, ["sources", "--index", str(tmp_path / "index")])
    assert result.exit_code == 0 and result.output.startswith("news\t") and "failures 0" in result.output
