"""One JSON error body for the whole API: {"error": {"code", "message", "details"}}, and the one
list of error codes the API answers with (documented in /openapi.json and the README)."""

from __future__ import annotations

import logging
from enum import Enum
from typing import Any

from flask import Flask, Response, jsonify, request
from werkzeug.exceptions import HTTPException

from index.errors import (
    DatabaseUnavailable,
    DocumentError,
    FetchError,
    FetchRefused,
    GlossaryServiceError,
    IndexMissing,
    IndexOutdated,
    NotFound,
    ReviewInvalid,
    StorageFull,
    WriterBusy,
)

log = logging.getLogger(__name__)


class Error(Enum):
    """Every error code of the API: its HTTP status and what it means."""

    BAD_REQUEST = (400, "the request is malformed")
    BAD_ARGUMENTS = (400, "a query argument is missing or invalid; details name each one")
    BAD_JSON = (400, "the body is not valid JSON")
    BAD_TEXT = (400, "the body is not text in the declared charset (UTF-8 by default)")
    BAD_CSV = (400, "the CSV cannot be applied to the glossary")
    BAD_DOCUMENT = (400, "the document cannot be stored as sent")
    BAD_DOCUMENT_ID = (400, "the document id breaks the id rules")
    URL_REFUSED = (400, "the URL may not be fetched: not http(s), or a private address not on the allow-list")
    UNAUTHORIZED = (401, "the write token is missing or wrong")
    WRITES_DISABLED = (403, "the service has no write token configured")
    NOT_FOUND = (404, "no such term, document or page; details may suggest terms")
    NO_HISTORY = (404, "the glossary file has no git history to answer from")
    METHOD_NOT_ALLOWED = (405, "the URL does not take this method")
    CONFLICT = (409, "the document exists already (PUT replaces it)")
    PAYLOAD_TOO_LARGE = (413, "the body is larger than the limit")
    UNSUPPORTED_MEDIA_TYPE = (415, "the body's media type is not one the endpoint takes")
    UNPROCESSABLE = (422, "the body has invalid fields; details name each one")
    FETCH_FAILED = (
        422,
        "the URL could not be fetched: no such host, or the source failed, was too slow or sent too much",
    )
    INVALID_GLOSSARY = (422, "the change would make the glossary invalid; details list the problems")
    INTERNAL_ERROR = (500, "an unexpected error (logged)")
    INDEX_UNAVAILABLE = (503, "the index is missing, outdated or unreachable; retry later")
    WRITER_BUSY = (503, "another process is writing the index; retry shortly")
    SERVICE_UNAVAILABLE = (503, "the proxy in front cannot reach the workers in time; retry shortly")
    INSUFFICIENT_STORAGE = (507, "the disk holding the corpus or index is full; the write changed nothing")

    @property
    def status(self) -> int:
        return self.value[0]

    @property
    def meaning(self) -> str:
        return self.value[1]

    @property
    def code(self) -> str:
        return self.name.lower()


# Errors any endpoint may answer with, whatever it declares.
ANY_ENDPOINT = (Error.BAD_REQUEST, Error.METHOD_NOT_ALLOWED, Error.INTERNAL_ERROR, Error.INDEX_UNAVAILABLE)

_BY_STATUS = {
    400: Error.BAD_REQUEST,
    404: Error.NOT_FOUND,
    405: Error.METHOD_NOT_ALLOWED,
    413: Error.PAYLOAD_TOO_LARGE,
    415: Error.UNSUPPORTED_MEDIA_TYPE,
    422: Error.UNPROCESSABLE,
}


class ApiError(Exception):
    """An error that views raise; rendered by `error_response`."""

    def __init__(self, error: Error, message: str, details: Any = None):
        super().__init__(message)
        self.error, self.message, self.details = error, message, details


def error_response(error: Error, message: str, details: Any = None) -> Response:
    response = jsonify({"error": {"code": error.code, "message": message, "details": details or {}}})
    response.status_code = error.status
    return response


def wants_html() -> bool:
    return (
        not request.path.startswith("/api/")
        and request.path not in ("/openapi.json", "/healthz")
        and request.accept_mimetypes.accept_html
    )


def register_error_handlers(app: Flask, html_renderer: Any = None, database: bool = False) -> None:
    """Registered on the app, not a blueprint, so unknown URLs get the same body."""

    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.error, exc.message, exc.details)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> Any:
        status = exc.code or 500
        if html_renderer is not None and wants_html() and status == 404:
            return html_renderer(exc)
        fallback = Error.INTERNAL_ERROR if status >= 500 else Error.BAD_REQUEST
        response = error_response(_BY_STATUS.get(status, fallback), exc.description or exc.name)
        response.status_code = status
        if status == 405 and exc.valid_methods:  # type: ignore[attr-defined]
            response.headers["Allow"] = ", ".join(exc.valid_methods)  # type: ignore[attr-defined]
        return response

    @app.errorhandler(NotFound)
    def _not_found(exc: NotFound) -> Response:
        return error_response(Error.NOT_FOUND, str(exc))

    @app.errorhandler(DocumentError)
    def _bad_document(exc: DocumentError) -> Response:
        if isinstance(exc, FetchRefused):
            return error_response(Error.URL_REFUSED, str(exc))
        if isinstance(exc, FetchError):
            return error_response(Error.FETCH_FAILED, str(exc))
        return error_response(Error.BAD_DOCUMENT, str(exc))

    @app.errorhandler(IndexMissing)
    @app.errorhandler(IndexOutdated)
    @app.errorhandler(DatabaseUnavailable)
    def _no_index(exc: GlossaryServiceError) -> Response:
        response = error_response(Error.INDEX_UNAVAILABLE, str(exc))
        response.headers["Retry-After"] = "30"
        return response

    if database:  # the driver is imported only where a database is used
        import psycopg
        from psycopg_pool import PoolClosed, PoolTimeout

        @app.errorhandler(psycopg.OperationalError)
        @app.errorhandler(PoolTimeout)
        @app.errorhandler(PoolClosed)  # a request that took the pool just as an outage ended renewed it
        def _database_down(exc: Exception) -> Response:
            log.warning("database unavailable on %s %s: %s", request.method, request.path, exc)
            response = error_response(Error.INDEX_UNAVAILABLE, "the database cannot be reached; retry shortly")
            response.headers["Retry-After"] = "5"
            return response

    @app.errorhandler(ReviewInvalid)
    def _bad_review_file(exc: ReviewInvalid) -> Response:
        problems = {"problems": [{**p.as_dict(), "file": "review.yaml"} for p in exc.problems]}
        return error_response(Error.INVALID_GLOSSARY, "review.yaml has problems; fix them first", problems)

    @app.errorhandler(StorageFull)
    def _storage_full(exc: StorageFull) -> Response:
        log.error("write refused: %s", exc)
        response = error_response(Error.INSUFFICIENT_STORAGE, str(exc))
        response.headers["Retry-After"] = "60"
        return response

    @app.errorhandler(WriterBusy)
    def _busy(exc: WriterBusy) -> Response:
        response = error_response(Error.WRITER_BUSY, str(exc))
        response.headers["Retry-After"] = "1"
        return response

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return error_response(Error.INTERNAL_ERROR, "an internal error occurred; it has been logged")
