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
