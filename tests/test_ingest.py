"""Ingest: HTML articles, PDFs and feeds, from real files served by a real loopback server.

Nothing is mocked: pages with boilerplate, meta tags and JSON-LD dates; RSS 2.0 and Atom feeds;
PDF files made by fpdf2 (two columns, a paragraph cut by a page break); a server that answers
304, 404, 500, slowly, with redirects and with oversized bodies.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from fpdf import FPDF

from index.backends.whoosh import WhooshIndex
from index.corpus import read_corpus
from index.errors import ExtractionError, FetchError, FetchRefused
from index.extract import from_html, from_pdf, kind_of
from index.fetch import FetchPolicy, fetch
from index.ingest import Ingester, id_for_url
from index.library import Library
from index.postings import PassageFilter
from index.vocabulary import load_glossary
from service.cli import main
from tests.support import ROOT, TOKEN
from tests.support.website import ENGLISH, KOREAN, Website, article, atom, rss

LOOPBACK = FetchPolicy.allowing(["127.0.0.1/32"], total_seconds=3.0, max_bytes=200_000)
AUTH = {"Authorization": f"Bearer {TOKEN}"}


def two_column_pdf() -> bytes:
    pdf = FPDF()
    pdf.set_title("National AI computing report")
    pdf.set_author("Ministry of Science")
    pdf.set_creation_date(datetime(2025, 4, 2, tzinfo=UTC))
    pdf.set_font("helvetica", size=11)
    pdf.add_page()
    pdf.set_xy(10, 20)
    pdf.multi_cell(190, 6, "Summary of the national AI computing programme", align="L")
    columns = {
        10: ["Left column: sovereign AI programmes fund GPU clusters for research teams across the country.",
             "Second left paragraph: digital twins of factories simulate production lines before they change."],
        110: ["Right column: AI factories turn data into tokens at industrial scale for the whole economy."],
    }  # fmt: skip
    for x, paragraphs in columns.items():
        pdf.set_xy(x, 40)
        for text in paragraphs:
            pdf.set_x(x)
            pdf.multi_cell(85, 6, text, align="L")
            pdf.set_y(pdf.get_y() + 8)
    pdf.add_page()
    pdf.set_xy(10, 255)
    pdf.multi_cell(
        190, 6, "This paragraph about physical AI in warehouse robots starts near the end of a page and", align="L"
    )
    pdf.add_page()
    pdf.set_xy(10, 20)
    pdf.multi_cell(190, 6, "continues at the top of the next one, where the sentence ends.", align="L")
    return bytes(pdf.output())


@pytest.fixture
def site() -> Iterator[Website]:
    running = Website()
    yield running
    running.stop()


# -- formats ------------------------------------------------------------------------------------
def test_an_article_page_gives_its_main_text_and_metadata() -> None:
    found = from_html(article("Korea bets on sovereign AI", ENGLISH, url="https://news.example/2025/korea-ai"))
    assert found.text.split("\n\n") == ENGLISH  # paragraphs kept; no headline, nav, ad or footer
    assert (found.title, found.author, found.date) == ("Korea bets on sovereign AI", "Jane Roe", "2025-03-14")
    assert (found.url, found.site, found.lang) == ("https://news.example/2025/korea-ai", "Tech Daily", "en")
    korean = from_html(article("소버린 AI에 거는 한국", KOREAN, date="2025-05-02", lang="ko"))
    assert korean.text.split("\n\n") == KOREAN and korean.lang == "ko" and korean.date == "2025-05-02"


def test_pages_that_cannot_be_taken_are_clear_errors() -> None:
    with pytest.raises(ExtractionError, match="no main text"):
        from_html(b"<html><body><nav><a href='/'>Home</a></nav></body></html>")
    latin = (
        "<html><body><article><p>Caf\u00e9 owners discuss sovereign AI and GPU prices at length today.</p>"
        "</article></body></html>"
    )
    with pytest.raises(ExtractionError, match="not UTF-8 and declares no charset"):
        from_html(latin.encode("latin-1"))
    found = from_html(latin.encode("latin-1"), charset="iso-8859-1")
    assert "Café owners" in found.text
    with pytest.raises(ExtractionError, match="unknown charset"):
        from_html(latin.encode("latin-1"), charset="no-such-charset")


def test_a_pdf_gives_paragraphs_in_reading_order_across_columns_and_pages() -> None:
    found = from_pdf(two_column_pdf())
    paragraphs = found.text.split("\n\n")
    assert paragraphs == [
        "Summary of the national AI computing programme",
        "Left column: sovereign AI programmes fund GPU clusters for research teams across the country.",
        "Second left paragraph: digital twins of factories simulate production lines before they change.",
        "Right column: AI factories turn data into tokens at industrial scale for the whole economy.",
        "This paragraph about physical AI in warehouse robots starts near the end of a page and "
        "continues at the top of the next one, where the sentence ends.",
    ]
    assert (found.title, found.author, found.date) == (
        "National AI computing report",
        "Ministry of Science",
        "2025-04-02",
    )


def test_files_that_are_not_what_they_claim_are_refused() -> None:
    with pytest.raises(ExtractionError, match="not a PDF"):
        kind_of(b"<html>not a pdf</html>", "application/pdf")
    broken = two_column_pdf()[:400]  # a PDF cut short
    with pytest.raises(ExtractionError, match="PDF"):
        from_pdf(broken)
    assert kind_of(two_column_pdf(), "text/html") == "pdf"  # the bytes decide, not the label


# -- fetching -----------------------------------------------------------------------------------
def test_fetch_follows_redirects_and_answers_not_modified(site: Website) -> None:
    page = site.page("/a", article("A", ENGLISH), etag='"v1"')
    site.redirect("/r1", "/r2")
    site.redirect("/r2", page)
    got = fetch(site.url + "/r1", LOOPBACK)
    assert got is not None and got.url == page and got.etag == '"v1"' and got.content_type == "text/html"
    assert fetch(page, LOOPBACK, etag='"v1"') is None  # 304


def test_fetch_refuses_private_addresses_bad_schemes_and_misbehaving_servers(site: Website) -> None:
    page = site.page("/a", article("A", ENGLISH))
    with pytest.raises(FetchRefused, match="private address"):
        fetch(page, FetchPolicy())  # loopback, not on the allow-list
    for private in ("http://10.0.0.1/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]:9/", "http://0/"):
        with pytest.raises(FetchRefused):
            fetch(site.redirect("/to-private", private), LOOPBACK)  # checked on every redirect
    for bad in ("file:///etc/passwd", "ftp://example.org/x", "gopher://x"):
        with pytest.raises(FetchRefused, match="only http"):
            fetch(bad, LOOPBACK)
    with pytest.raises(FetchError, match="HTTP 404"):
        fetch(site.url + "/missing", LOOPBACK)
    with pytest.raises(FetchError, match="HTTP 500"):
        fetch(site.status("/boom", 500), LOOPBACK)
    with pytest.raises(FetchError, match="longer than 3 s"):
        fetch(site.slow("/slow", 8), LOOPBACK)
    for declared in (True, False):
        with pytest.raises(FetchError, match="larger than the limit"):
            fetch(site.oversized(f"/big-{declared}", 1_000_000, declared), LOOPBACK)
    for n in range(7):
        site.redirect(f"/loop{n}", f"/loop{n + 1}")
    with pytest.raises(FetchError, match="more than 5 redirects"):
        fetch(site.url + "/loop0", LOOPBACK)


# -- feeds and the CLI --------------------------------------------------------------------------
def test_feeds_become_documents_once_and_a_bad_item_does_not_stop_the_rest(site: Website, tmp_path: Path) -> None:
    a = site.page("/news/korea-ai", article("Korea bets on sovereign AI", ENGLISH, url=site.url + "/news/korea-ai"))
    b = site.page("/news/ko", article("소버린 AI에 거는 한국", KOREAN, lang="ko"))
    broken = site.status("/news/gone", 500)
    site.page("/rss.xml", rss([("A", a), ("B", b), ("Gone", broken)]), "application/rss+xml")
    # The same article, with a fragment and a feed's tracking parameters.
    site.page(
        "/atom.xml", atom([("A again", a + "?utm_source=atom&amp;utm_medium=feed#comments")]), "application/atom+xml"
    )
    site.page("/not-a-feed.xml", b"<?xml version='1.0'?><rss><channel><item>", "application/rss+xml")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    WhooshIndex(index).replace_all(read_corpus(ROOT / "corpus"), load_glossary(ROOT / "glossary.yaml"))
    library = Library(corpus, WhooshIndex(index), index)
    report = Ingester(library, LOOPBACK).ingest(
        [site.url + "/rss.xml", site.url + "/atom.xml", site.url + "/not-a-feed.xml"]
    )
    assert sorted(report.written) == sorted({id_for_url(a), id_for_url(b)})
    assert report.unchanged == [id_for_url(a)]  # found again through the Atom feed: not duplicated
    assert id_for_url(a + "?utm_source=x&fbclid=y#top") == id_for_url(a) != id_for_url(a + "?page=2")
    assert [item for item, _ in report.failed] == [broken, site.url + "/not-a-feed.xml"]
    with WhooshIndex(index).snapshot() as snap:
        doc = snap.get_document(id_for_url(a))
        assert doc is not None and (doc.title, doc.date, doc.source) == (
            "Korea bets on sovereign AI",
            "2025-03-14",
            "Tech Daily",
        )
        assert [p.text for p in doc.passages] == ENGLISH
        _, hits = snap.term_page("sovereign-ai", PassageFilter(), "newest", 0, 100)
    assert any(h.passage.doc == id_for_url(a) for h in hits)
    # Polled again: nothing changed, nothing written.
    again = Ingester(library, LOOPBACK).ingest([site.url + "/rss.xml"])
    library.index.close()
    assert again.written == [] and sorted(again.unchanged) == sorted({id_for_url(a), id_for_url(b)})


def test_glossary_ingest_takes_urls_feeds_and_files_with_one_line_per_failure(site: Website, tmp_path: Path) -> None:
    site.page("/rss.xml", rss([("A", site.page("/a", article("Sovereign AI", ENGLISH)))]), "application/rss+xml")
    (tmp_path / "report.pdf").write_bytes(two_column_pdf())
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.7 this is not really a PDF")
    where = ["--corpus", str(tmp_path / "corpus"), "--index", str(tmp_path / "index")]
    (tmp_path / "corpus").mkdir()
    built = CliRunner().invoke(main, ["build", "--quiet", *where, "--glossary", str(ROOT / "glossary.yaml")])
    assert built.exit_code == 0, built.output
    result = CliRunner().invoke(
        main,
        ["ingest", "--quiet", "--allow", "127.0.0.1/32", *where,
         site.url + "/rss.xml", str(tmp_path / "report.pdf"), str(tmp_path / "broken.pdf"), "http://10.1.2.3/x"],
    )  # fmt: skip
    assert result.exit_code == 1, result.output  # some items failed
    lines = result.output.strip().splitlines()
    assert any(line.startswith("failed ") and "broken.pdf" in line for line in lines)
    assert any(line.startswith("failed http://10.1.2.3/x: refused") for line in lines)
    assert "2 written, 0 unchanged, 2 failed" in result.output
    assert (tmp_path / "corpus" / "report.md").is_file() or (tmp_path / "corpus" / "report.txt").is_file()


# -- the API ------------------------------------------------------------------------------------
def test_the_api_takes_html_pdf_and_a_url_to_fetch(client: Any, app: Any, site: Website) -> None:
    app.config["FETCH_ALLOW"] = "127.0.0.1/32"
    page = article("Korea bets on sovereign AI", ENGLISH, url="https://news.example/2025/korea-ai")
    r = client.put("/api/documents/korea", data=page, content_type="text/html; charset=utf-8", headers=AUTH)
    assert r.status_code == 201, r.get_json()
    doc = r.get_json()
    assert (doc["title"], doc["date"], doc["source"], doc["url"]) == (
        "Korea bets on sovereign AI", "2025-03-14", "Tech Daily", "https://news.example/2025/korea-ai"
    )  # fmt: skip
    assert [p["text"] for p in doc["passages"]] == ENGLISH and doc["author"] == "Jane Roe"
    r = client.post("/api/documents?id=report", data=two_column_pdf(), content_type="application/pdf", headers=AUTH)
    assert r.status_code == 201 and r.get_json()["title"] == "National AI computing report"
    url = site.page("/news/x", article("Fetched", ENGLISH[:1]))
    r = client.post("/api/documents", json={"url": url, "source": "Our pick"}, headers=AUTH)
    assert r.status_code == 201, r.get_json()
    assert r.get_json()["id"] == id_for_url(url) and r.get_json()["source"] == "Our pick"  # the client's field wins
    assert r.get_json()["fetched"].startswith(str(datetime.now(UTC).year))
    assert client.get("/api/documents/korea").get_json()["fetched"] is None  # sent, not fetched
    # Refusals: JSON error bodies with the right status.
    r = client.post("/api/documents", json={"id": "x", "url": "http://169.254.169.254/latest"}, headers=AUTH)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "url_refused"
    r = client.post("/api/documents", json={"id": "x", "url": site.status("/gone", 500)}, headers=AUTH)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "fetch_failed"
    r = client.put("/api/documents/x", data=b"<html>no pdf</html>", content_type="application/pdf", headers=AUTH)
    assert r.status_code == 400 and r.get_json()["error"]["code"] == "bad_document"
    r = client.post("/api/documents", data=two_column_pdf(), content_type="application/pdf", headers=AUTH)
    assert r.status_code == 201 and r.get_json()["id"].startswith("doc-")  # an id made from its text
    r = client.post("/api/documents", json={"id": "y"}, headers=AUTH)
    assert r.status_code == 422 and "text" in r.get_json()["error"]["details"]
    r = client.put("/api/documents/z", data=page, content_type="text/html")
    assert r.status_code == 401
    assert (
        json.loads(client.get("/openapi.json").data)["paths"]["/api/documents"]["post"]["requestBody"]["content"][
            "application/pdf"
        ]["schema"]["format"]
        == "binary"
    )
