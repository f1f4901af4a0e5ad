"""A real HTTP server on loopback for the ingest tests: article pages, feeds and PDFs, and the
ways real servers misbehave (304, 404, 500, slow bodies, redirects, oversized bodies)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Route = Callable[[BaseHTTPRequestHandler], None]


class Website:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.hits: dict[str, int] = {}
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                site.hits[path] = site.hits.get(path, 0) + 1
                route = site.routes.get(path)
                if route is None:
                    self.send_error(404)
                else:
                    route(self)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    # -- what the routes answer -------------------------------------------------------------
    def page(self, path: str, body: bytes, content_type: str = "text/html; charset=utf-8", etag: str | None = None):  # type: ignore[no-untyped-def]
        def answer(h: BaseHTTPRequestHandler) -> None:
            if etag and h.headers.get("If-None-Match") == etag:
                h.send_response(304)
                h.send_header("ETag", etag)
                h.end_headers()
                return
            h.send_response(200)
            h.send_header("Content-Type", content_type)
            h.send_header("Content-Length", str(len(body)))
            if etag:
                h.send_header("ETag", etag)
            h.end_headers()
            h.wfile.write(body)

        self.routes[path] = answer
        return f"{self.url}{path}"

    def status(self, path: str, code: int) -> str:
        self.routes[path] = lambda h: (h.send_response(code), h.send_header("Content-Length", "0"), h.end_headers())
        return f"{self.url}{path}"

    def redirect(self, path: str, location: str) -> str:
        def answer(h: BaseHTTPRequestHandler) -> None:
            h.send_response(302)
            h.send_header("Location", location)
            h.send_header("Content-Length", "0")
            h.end_headers()

        self.routes[path] = answer
        return f"{self.url}{path}"

    def slow(self, path: str, seconds: float) -> str:
        """Headers at once, then a byte of body every 0.2 s for `seconds`."""

        def answer(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            h.end_headers()
            end = time.monotonic() + seconds
            try:
                while time.monotonic() < end:
                    h.wfile.write(b" ")
                    h.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass  # the client gave up: that is the point

        self.routes[path] = answer
        return f"{self.url}{path}"

    def oversized(self, path: str, size: int, declared: bool) -> str:
        def answer(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "text/html")
            if declared:
                h.send_header("Content-Length", str(size))
            h.end_headers()
            try:
                for _ in range(size // 65536 + 1):
                    h.wfile.write(b"<p>GPU</p>" * 6554)
            except OSError:
                pass

        self.routes[path] = answer
        return f"{self.url}{path}"


# -- what the pages and feeds hold -----------------------------------------------------------
def article(title: str, paragraphs: list[str], date: str = "2025-03-14", lang: str = "en", url: str = "") -> bytes:
    body = "\n".join(f"<p>{p}</p>" for p in paragraphs)
    canonical = f'<link rel="canonical" href="{url}">' if url else ""
    return f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<title>{title} | Tech Daily</title><meta property="og:site_name" content="Tech Daily">
<meta name="author" content="Jane Roe">{canonical}
<script type="application/ld+json">{{"@context": "https://schema.org", "@type": "NewsArticle",
 "headline": "{title}", "datePublished": "{date}T09:00:00+09:00"}}</script></head>
<body><nav><a href="/">Home</a> <a href="/tech">Tech</a> <a href="/login">Log in</a></nav>
<div class="ad">Sponsored: the best GPU deals of the week, click here now.</div>
<article><h1>{title}</h1>{body}</article>
<footer>Copyright 2025 Tech Daily. All rights reserved. <a href="/privacy">Privacy</a></footer>
</body></html>""".encode()


ENGLISH = [
    "The government announced a national programme to build sovereign AI capabilities, including an AI factory.",
    "Officials said the programme would secure 10,000 GPUs for universities and start-ups over two years.",
    "Critics asked whether digital twins of factories would benefit as much as the language models.",
]
KOREAN = [
    "정부는 소버린 AI 역량을 키우기 위해 국가 AI 컴퓨팅 센터를 세우고 GPU를 확보하겠다고 밝혔다.",
    "업계는 디지털 트윈과 피지컬 AI가 제조업의 경쟁력을 바꿀 것이라고 내다봤다.",
]


def rss(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(f"<item><title>{t}</title><link>{link}</link></item>" for t, link in items)
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>News</title>{entries}</channel></rss>'.encode()


def atom(items: list[tuple[str, str]]) -> bytes:
    entries = "".join(
        f'<entry><title>{t}</title><link href="{link}"/><id>{link}</id><updated>2025-03-14T00:00:00Z</updated></entry>'
        for t, link in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Blog</title>'
        f"<id>urn:blog</id><updated>2025-03-14T00:00:00Z</updated>{entries}</feed>"
    ).encode()
