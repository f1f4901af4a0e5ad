"""The web service: REST API, OpenAPI document and the search-box page.

Run with gunicorn: `gunicorn -c service/gunicorn_conf.py 'service:create_app()'`.
"""

from __future__ import annotations

import io
from typing import Any

from flask import Flask, Response, g, request
from werkzeug.routing import PathConverter

from service.api.contract import response_problems
from service.config import settings
from service.errors import ApiError, Error, error_response, register_error_handlers
from service.json_provider import OrjsonProvider
from service.response_cache import ResponseCache
from service.state import current_store, open_services, release_store

__all__ = ["create_app"]

# A CSP that allows nothing from another origin: the page works offline and cannot leak.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)


# Endpoints that read no index: they must answer while the index or the database is down.
NO_SNAPSHOT = frozenset({"status.healthz", "status.readyz", "static"})


class ChunkedBodyLimit:
    """WSGI middleware: a chunked body (no Content-Length) is read here up to the limit, so that
    one over it is refused with 413 instead of being cut at the limit and processed. The rest of
    a refused body is drained (up to DRAIN_BYTES) so that the client can read the answer."""

    DRAIN_BYTES = 8_000_000

    def __init__(self, app: Any, limit: int):
        self.app, self.limit = app, limit

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_TRANSFER_ENCODING", "").lower() == "chunked" and not environ.get("CONTENT_LENGTH"):
            stream = environ["wsgi.input"]
            body = stream.read(self.limit + 1)
            if len(body) > self.limit:
                drained = 0
                while drained < self.DRAIN_BYTES and (piece := stream.read(65536)):
                    drained += len(piece)
                environ["glossary.body_too_large"] = True
                body = b""
            environ["wsgi.input"] = io.BytesIO(body)
            environ["CONTENT_LENGTH"] = str(len(body))
        return self.app(environ, start_response)


class SecurityHeaders:
    """WSGI middleware: the headers every response carries, errors and static files included,
    appended to the header list itself (Flask's header setters scan the headers on every call)."""

    ALWAYS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "same-origin"), ("X-Frame-Options", "DENY"))

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            present = {name.lower(): value for name, value in headers}
            headers.extend((name, value) for name, value in self.ALWAYS if name.lower() not in present)
            html = present.get("content-type", "").startswith("text/html")
            if html and "content-security-policy" not in present:
                headers.append(("Content-Security-Policy", CONTENT_SECURITY_POLICY))
            return start_response(status, headers, exc_info)

        return self.app(environ, start)


class DocumentIdConverter(PathConverter):
    """Like `path`, but also takes control characters, so that the view can answer 400, not 404."""

    regex = "[^/](?s:.)*?"


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults, then the environment, then `test_config`."""
    app = Flask(__name__)
    app.config.from_mapping(settings())
    if test_config:
        app.config.update(test_config)
    app.json = OrjsonProvider(app)
    app.extensions["glossary"] = open_services(app.config)
    app.url_map.converters["doc_id"] = DocumentIdConverter

    from service import pages
    from service.api import curation, documents, glossary_file, status, terms, text, tracking
    from service.openapi import bp as openapi_bp

    blueprints = (terms.bp, text.bp, documents.bp, status.bp, tracking.bp, glossary_file.bp, curation.bp, openapi_bp)
    for blueprint in (*blueprints, pages.bp):
        app.register_blueprint(blueprint)
    register_error_handlers(app, html_renderer=pages.render_http_error, database=bool(app.config["DATABASE_URL"]))

    cache = ResponseCache(app.config["RESPONSE_CACHE_SIZE"])
    live = app.extensions["glossary"].live

    app.wsgi_app = SecurityHeaders(ChunkedBodyLimit(app.wsgi_app, app.config["MAX_CONTENT_LENGTH"]))  # type: ignore[method-assign]

    # One hook before and one after each request, each reading Flask's context-local proxies
    # as few times as it can: on a page of passages the hooks cost as much as the view did.
    @app.before_request
    def _pin_snapshot() -> Any:
        req, ctx = request._get_current_object(), g._get_current_object()  # type: ignore[attr-defined]
        if req.environ.get("glossary.body_too_large"):
            raise ApiError(Error.PAYLOAD_TOO_LARGE, f"the body is larger than {app.config['MAX_CONTENT_LENGTH']} bytes")
        live.refresh()  # a throttled stat: /api/status shows a bad edit at once
        if req.endpoint in NO_SNAPSHOT:
            return None  # liveness, readiness and static files answer while the index cannot
        # One snapshot per request: the glossary version and the postings matched with it.
        store = current_store()
        ctx.glossary = store.glossary
        ctx.index_version = store.snapshot.version
        if cache.size > 0 and req.method == "GET" and req.path.startswith("/api/"):
            ctx.cache_key = (req.full_path, ctx.glossary.version, ctx.index_version)
            if req.headers.get("If-None-Match") is None:
                return cache.get(ctx.cache_key)
        return None

    @app.after_request
    def _versioned(response: Response) -> Response:
        ctx = g._get_current_object()
        if "glossary" not in ctx:
            return response
        response.headers["X-Glossary-Version"] = ctx.glossary.version
        # Only what a cacheable operation produced (it carries the versioned ETag) is a pure
        # function of the key; /api/status, for one, is not.
        if "cache_key" in ctx and "ETag" in response.headers and request.headers.get("If-None-Match") is None:
            cache.put(ctx.cache_key, response)
        return response

    if app.config["CHECK_RESPONSES"]:

        @app.after_request
        def _check_contract(response: Response) -> Response:
            # Tests run with this on: a body that leaves its declared schema fails the test.
            view = app.view_functions.get(request.url_rule.endpoint) if request.url_rule else None
            op = getattr(view, "operation", None)
            problems = response_problems(op, response) if op is not None else []
            if problems:
                return error_response(Error.INTERNAL_ERROR, "the response breaks its contract", {"problems": problems})
            return response

    @app.teardown_request
    def _release_snapshot(_: BaseException | None) -> None:
        release_store()

    return app
