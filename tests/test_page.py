"""The page in real headless Chromium (Debian's, driven by Playwright), on a real gunicorn.

Screenshots of the home, term and document pages are saved in test-artifacts/screenshots/.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from index.backends.whoosh import WhooshIndex
from index.corpus import read_corpus
from index.vocabulary import load_glossary
from tests.support import ROOT, TOKEN, Gunicorn
from tests.support.website import ENGLISH, Website, article, rss

pytestmark = pytest.mark.browser
SHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Gunicorn]:
    """The project's own glossary and sample corpus, served by gunicorn."""
    work = tmp_path_factory.mktemp("site")
    shutil.copy(ROOT / "glossary.yaml", work / "glossary.yaml")
    shutil.copytree(ROOT / "corpus", work / "corpus")
    WhooshIndex(work / "index").replace_all(read_corpus(work / "corpus"), load_glossary(work / "glossary.yaml"))
    server = Gunicorn(
        {
            "GLOSSARY_SERVICE_GLOSSARY_PATH": str(work / "glossary.yaml"),
            "GLOSSARY_SERVICE_CORPUS_DIR": str(work / "corpus"),
            "GLOSSARY_SERVICE_INDEX_DIR": str(work / "index"),
            "GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN,
        }
    )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is installed by `make test` (system-deps)"
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    # A 404 *page* is what some tests ask for; a failed script, style or API call never is.
    page.on(
        "console",
        lambda msg: (
            errors.append(msg.text)
            if msg.type == "error" and not msg.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and r.request.resource_type != "document" else None
        ),
    )
    yield page
    context.close()
    assert errors == [], f"the page logged errors: {errors}"


def shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_type_digi_enter_lands_on_the_term_page(site: Gunicorn, page: Any) -> None:
    page.goto(site.url + "/")
    shot(page, "home")
    box = page.get_by_role("combobox", name="Search terms and passages")
    box.press_sequentially("digi", delay=40)
    option = page.get_by_role("option").first
    option.wait_for()
    assert option.inner_text().startswith("digital twin")
    assert box.get_attribute("aria-expanded") == "true"
    shot(page, "home-suggestions")
    box.press("Enter")
    page.wait_for_url("**/terms/digital-twin")
    assert page.locator("h1").inner_text() == "digital twin"
    assert "live virtual model" in page.locator(".definition").inner_text()
    chart = page.locator("svg#trend-chart")
    assert chart.is_visible() and chart.locator("rect").count() >= 2
    assert chart.locator("text.value").count() >= 1  # counts are written on the bars
    marks = page.locator("li.passage mark")
    assert marks.count() >= 3
    assert {m.lower() for m in marks.all_inner_texts()} >= {"digital twin", "digital twins"}
    assert page.locator("dl.labels").inner_text().count("디지털 트윈") == 1
    shot(page, "term")


def test_keyboard_moves_through_suggestions_and_escape_closes(site: Gunicorn, page: Any) -> None:
    page.goto(site.url + "/")
    box = page.locator("#q")
    box.press_sequentially("ai ", delay=40)
    page.get_by_role("option").nth(1).wait_for()
    options = page.get_by_role("option")
    assert options.nth(0).get_attribute("aria-selected") == "true"
    box.press("ArrowDown")
    assert options.nth(1).get_attribute("aria-selected") == "true"
    assert box.get_attribute("aria-activedescendant") == options.nth(1).get_attribute("id")
    box.press("ArrowUp")
    assert options.nth(0).get_attribute("aria-selected") == "true"
    box.press("Escape")
    assert page.locator("#suggestions").is_hidden() and box.get_attribute("aria-expanded") == "false"
    box.press("Enter")  # with the list closed, Enter searches
    page.wait_for_url("**/?q=ai*")
    assert page.locator("h1").inner_text().startswith("Results for")


def test_korean_input_suggests_and_searches(site: Gunicorn, page: Any) -> None:
    page.goto(site.url + "/")
    box = page.locator("#q")
    box.fill("디지털")
    box.dispatch_event("input")
    option = page.get_by_role("option").first
    option.wait_for()
    assert option.inner_text().startswith("디지털 트윈")
    page.goto(site.url + "/?q=" + requests.utils.quote("디지털 트윈을"))
    assert "digital twin" in page.locator("p.resolved").inner_text()
    marks = page.locator("ol.passages mark").all_inner_texts()
    assert any(m.startswith("디지털") for m in marks), marks
    shot(page, "search-korean")


def test_document_page_links_highlighted_terms(site: Gunicorn, page: Any) -> None:
    page.goto(site.url + "/documents/ko/2025-10-sovereign-ai-ko")
    assert page.locator("h1").inner_text() == "소버린 AI와 AI 팩토리"
    links = page.locator("a.term-link")
    assert links.count() >= 5
    shot(page, "document")
    page.locator("a.term-link", has_text="피지컬AI").click()
    page.wait_for_url("**/terms/physical-ai")
    assert page.locator("h1").inner_text() == "physical AI"


def test_deprecated_term_banner_and_not_found_page(site: Gunicorn, page: Any) -> None:
    page.goto(site.url + "/terms/ai-plant")
    banner = page.locator(".banner.deprecated")
    assert "deprecated" in banner.inner_text()
    banner.get_by_role("link", name="AI factory").click()
    page.wait_for_url("**/terms/ai-factory")
    response = page.goto(site.url + "/terms/digital-twins")
    assert response.status == 404
    assert page.get_by_role("link", name="digital twin").is_visible()
    shot(page, "not-found")
    assert page.goto(site.url + "/documents/nope").status == 404


def test_security_headers_and_no_external_origins(site: Gunicorn) -> None:
    r = requests.get(site.url + "/terms/digital-twin", timeout=10)
    csp = r.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "http" not in csp
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert not re.search(r'<(script|link|img)[^>]+(src|href)="(https?:)?//', r.text), "no resource from another origin"
    # Every response carries them, JSON, errors and static files included; the CSP is for HTML.
    for path, status in (
        ("/api/terms/digital-twin/passages", 200),
        ("/api/terms/no-such-term", 404),
        ("/static/style.css", 200),
    ):
        r = requests.get(site.url + path, timeout=10)
        assert r.status_code == status, path
        assert (r.headers["X-Content-Type-Options"], r.headers["X-Frame-Options"]) == ("nosniff", "DENY"), path
        assert r.headers["Referrer-Policy"] == "same-origin", path
        assert "Content-Security-Policy" not in r.headers, path
    assert requests.get(site.url + "/api/terms/gpu", timeout=10).headers["X-Glossary-Version"]


def test_trends_and_candidates_pages(site: Gunicorn, page: Any) -> None:
    page.goto(site.url + "/trends")
    assert page.locator("h1").inner_text() == "Trends"
    page.goto(site.url + "/candidates")
    assert page.locator("li.candidate").count() >= 5
    shot(page, "candidates")


def test_narrow_screen_layout(site: Gunicorn, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 380, "height": 800})
    page = context.new_page()
    page.goto(site.url + "/terms/sovereign-ai")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 380, "no horizontal scrolling on a phone"
    shot(page, "term-narrow")
    context.close()


def test_sources_page_shows_what_the_one_poller_did(tmp_path: Path, page: Any) -> None:
    """Two workers and the writer process: the feed is polled once per interval, not once per
    process, and the Sources page shows each source's state."""
    web = Website()
    try:
        a = web.page("/a", article("Sovereign AI in Korea", ENGLISH))
        web.page("/rss.xml", rss([("A", a), ("Gone", web.status("/gone", 404))]), "application/rss+xml")
        sources = tmp_path / "sources.yaml"
        sources.write_text(
            f"sources:\n  - name: field-news\n    url: {web.url}/rss.xml\n    every: 1h\n    tags: [ai]\n"
            f"  - name: broken\n    url: {web.status('/down', 500)}\n    every: 1h\n"
        )
        shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
        WhooshIndex(tmp_path / "index").replace_all(
            read_corpus(tmp_path / "corpus"), load_glossary(ROOT / "glossary.yaml")
        )
        server = Gunicorn(
            {
                "GLOSSARY_SERVICE_GLOSSARY_PATH": str(ROOT / "glossary.yaml"),
                "GLOSSARY_SERVICE_CORPUS_DIR": str(tmp_path / "corpus"),
                "GLOSSARY_SERVICE_INDEX_DIR": str(tmp_path / "index"),
                "GLOSSARY_SERVICE_SOURCES_PATH": str(sources),
                "GLOSSARY_SERVICE_FETCH_ALLOW": "127.0.0.1/32",
                "GLOSSARY_SERVICE_CHECK_RESPONSES": "1",
            }
        )
        try:
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                followed = requests.get(server.url + "/api/status", timeout=5).json()["sources"]["sources"]
                if len(followed) == 2 and all(s["polls"] for s in followed):
                    break
                time.sleep(0.3)
            time.sleep(2)  # time for a second poller, if there were one, to poll too
            assert web.hits["/rss.xml"] == 1 and web.hits["/a"] == 1, web.hits
            page.goto(server.url + "/sources")
            row = page.locator("#source-field-news")
            assert row.locator("td.added").inner_text() == "1"
            assert "404" in row.inner_text()  # the article that failed
            assert "HTTP 500" in page.locator("#source-broken td.error").inner_text()
            shot(page, "sources")
        finally:
            server.stop()
    finally:
        web.stop()


def test_a_curator_accepts_and_rejects_alias_suggestions_on_the_term_page(tmp_path: Path, page: Any) -> None:
    shutil.copy(ROOT / "glossary.yaml", tmp_path / "glossary.yaml")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    (tmp_path / "corpus" / "plant.md").write_text(
        "The digital twin (DT) of the plant runs every night.\n\n"
        "Engineers now trust the DT more than the dashboards.\n\n"
        "A second digital twin (DTw) models the warehouse.\n"
    )
    glossary = load_glossary(tmp_path / "glossary.yaml")
    WhooshIndex(tmp_path / "index").replace_all(read_corpus(tmp_path / "corpus"), glossary)
    server = Gunicorn(
        {
            "GLOSSARY_SERVICE_GLOSSARY_PATH": str(tmp_path / "glossary.yaml"),
            "GLOSSARY_SERVICE_REVIEW_PATH": str(tmp_path / "review.yaml"),
            "GLOSSARY_SERVICE_DERIVED_EVERY_SECONDS": "1",
            "GLOSSARY_SERVICE_CORPUS_DIR": str(tmp_path / "corpus"),
            "GLOSSARY_SERVICE_INDEX_DIR": str(tmp_path / "index"),
            "GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN,
            "GLOSSARY_SERVICE_CHECK_RESPONSES": "1",
        }
    )
    try:

        def suggested() -> list[str]:
            found = requests.get(server.url + "/api/suggestions/aliases?term=digital-twin", timeout=5).json()
            return [s["alias"] for s in found["suggestions"]]

        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not {"DT", "DTw"} <= set(suggested()):
            time.sleep(0.3)
        assert {"DT", "DTw"} <= set(suggested())
        before = requests.get(server.url + "/api/terms/digital-twin/passages?limit=100", timeout=5).json()["total"]
        page.goto(server.url + "/terms/digital-twin")
        page.fill("#curator-token", TOKEN)
        page.dispatch_event("#curator-token", "change")
        page.locator('.alias-suggestion[data-alias="DT"] button.accept').click()
        page.wait_for_selector('.alias-suggestion[data-alias="DT"] .outcome.done')
        page.locator('.alias-suggestion[data-alias="DTw"] button.reject').click()
        page.wait_for_selector('.alias-suggestion[data-alias="DTw"] .outcome.done')
        shot(page, "alias-suggestions")
        # The accepted alias is live: the passage that says only "DT" is now one of the term's.
        deadline = time.monotonic() + 30
        total = before
        while time.monotonic() < deadline and total == before:
            time.sleep(0.3)
            total = requests.get(server.url + "/api/terms/digital-twin/passages?limit=100", timeout=5).json()["total"]
        assert total == before + 1
        page.goto(server.url + "/terms/digital-twin")
        assert "Engineers now trust the DT" in page.locator("ol.passages").inner_text()
        deadline = time.monotonic() + 30  # suggestions are computed again in the background
        while time.monotonic() < deadline and {"DT", "DTw"} & set(suggested()):
            time.sleep(0.3)
        assert not {"DT", "DTw"} & set(suggested())
        assert "alias: DTw" in (tmp_path / "review.yaml").read_text()
    finally:
        server.stop()


def test_review_mode_rejects_a_match_with_the_keyboard_counts_drop_and_undo_brings_it_back(
    tmp_path: Path, page: Any
) -> None:
    shutil.copy(ROOT / "glossary.yaml", tmp_path / "glossary.yaml")
    shutil.copytree(ROOT / "corpus", tmp_path / "corpus")
    (tmp_path / "corpus" / "twins.md").write_text(
        "---\ndate: 2025-11-20\n---\nThe Twins won a digital twin of their stadium.\n"
    )
    WhooshIndex(tmp_path / "index").replace_all(
        read_corpus(tmp_path / "corpus"), load_glossary(tmp_path / "glossary.yaml")
    )
    server = Gunicorn(
        {
            "GLOSSARY_SERVICE_GLOSSARY_PATH": str(tmp_path / "glossary.yaml"),
            "GLOSSARY_SERVICE_REVIEW_PATH": str(tmp_path / "review.yaml"),
            "GLOSSARY_SERVICE_CORPUS_DIR": str(tmp_path / "corpus"),
            "GLOSSARY_SERVICE_INDEX_DIR": str(tmp_path / "index"),
            "GLOSSARY_SERVICE_WRITE_TOKEN": TOKEN,
            "GLOSSARY_SERVICE_CHECK_RESPONSES": "1",
        }
    )

    def usage() -> int:
        return int(requests.get(server.url + "/api/terms/digital-twin", timeout=5).json()["usage"]["passages"])

    def wait_for(total: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and usage() != total:
            time.sleep(0.3)
        assert usage() == total

    try:
        before = usage()
        page.goto(server.url + "/terms/digital-twin")
        page.fill("#curator-token", TOKEN)
        page.dispatch_event("#curator-token", "change")
        page.check("#review-mode")
        first = page.locator("li.passage").first
        assert "The Twins won" in first.inner_text()  # the newest passage comes first
        page.keyboard.press("r")  # the first passage has the focus
        page.wait_for_selector("li.passage.rejected .outcome.done")
        shot(page, "review-mode")
        wait_for(before - 1)  # the writer re-matched: every count drops
        page.goto(server.url + "/terms/digital-twin")
        assert "The Twins won" not in page.locator("ol.passages").inner_text()
        undo = page.locator("li.rejected-match button.undo-verdict")
        assert undo.count() == 1
        undo.click()
        page.wait_for_selector("li.rejected-match .outcome.done")
        wait_for(before)
        page.goto(server.url + "/terms/digital-twin")
        assert "The Twins won" in page.locator("ol.passages").inner_text()
    finally:
        server.stop()
