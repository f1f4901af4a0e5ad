"""One JSON error body for the whole API: {"error": {"code", "message", "details"}}."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from index.errors import DocumentError, GlossaryServiceError, IndexMissing, IndexOutdated, NotFound, WriterBusy

log = logging.getLogger(__name__)


class ApiError(Exception):
    """An error with an HTTP status that views raise; rendered by `error_response`."""

    def __init__(self, status: int, code: str, message: str, details: Any = None):
        super().__init__(message)
        self.status, self.code, self.message, self.details = status, code, message, details


def error_response(status: int, code: str, message: str, details: Any = None) -> Response:
    response = jsonify({"error": {"code": code, "message": message, "details": details or {}}})
    response.status_code = status
    return response


_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "unprocessable",
    429: "too_many_requests",
    500: "internal_error",
    503: "unavailable",
}


def wants_html() -> bool:
    return (
        not request.path.startswith("/api/")
        and request.path not in ("/openapi.json", "/healthz")
        and request.accept_mimetypes.accept_html
    )


def register_error_handlers(app: Flask, html_renderer: Any = None) -> None:
    """Registered on the app, not a blueprint, so unknown URLs get the same body."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.status, exc.code, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if html_renderer is not None and wants_html() and status == 404:
            return html_renderer(exc)
        response = error_response(status, _CODES.get(status, "error"), exc.description or exc.name)
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Response:
        return error_response(404, "not_found", str(exc))

    @app.errorhandler(DocumentError)
    def _bad_document(exc: DocumentError) -> Response:
        return error_response(400, "bad_document", str(exc))

    @app.errorhandler(IndexMissing)
    @app.errorhandler(IndexOutdated)
    def _no_index(exc: GlossaryServiceError) -> Response:
        response = error_response(503, "index_unavailable", str(exc))
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(WriterBusy)
    def _busy(exc: WriterBusy) -> Response:
        response = error_response(503, "writer_busy", str(exc))
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(500, "internal_error", "an internal error occurred; it has been logged")
