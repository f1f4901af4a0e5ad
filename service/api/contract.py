"""One contract per endpoint, declared where the view is.

`@operation(bp, "/terms/<term_id>", args=..., responses={200: TermDetail}, errors=[...])` routes
the view, parses and validates its query arguments, asks for the write token, turns what the
view returns into a JSON response (with a versioned ETag when it is cacheable), and keeps the
declaration for /openapi.json (service/openapi.py) and for the response checks the tests run
(`response_problems`). Nothing else describes an endpoint.
"""

from __future__ import annotations

import functools
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, current_app, g, request
from marshmallow import Schema, ValidationError

from service.api.schemas import ErrorOut
from service.errors import ANY_ENDPOINT, ApiError, Error
from service.json_provider import json_response

# Media types of request bodies: a marshmallow schema (JSON) or None (text the view decodes).
Body = Mapping[str, type[Schema] | None]


@dataclass(frozen=True)
class Operation:
    """What one endpoint takes, answers and may fail with."""

    method: str
    summary: str
    description: str
    args: type[Schema] | None
    body: Body
    responses: Mapping[int, type[Schema] | None]  # success status -> JSON schema (None: no JSON body)
    content: Mapping[str, Any]  # non-JSON success bodies: media type -> JSON schema of the content
    errors: tuple[Error, ...]
    cached: bool
    write: bool

    def error_codes(self, status: int) -> set[str]:
        return {e.code for e in (*self.errors, *ANY_ENDPOINT) if e.status == status}


def operation(
    bp: Blueprint,
    rule: str,
    method: str = "GET",
    *,
    responses: Mapping[int, type[Schema] | None],
    args: type[Schema] | None = None,
    body: Body | None = None,
    content: Mapping[str, Any] | None = None,
    errors: Iterable[Error] = (),
    cached: bool | None = None,
    write: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Route `view` on `bp` under this contract. The view gets the parsed query arguments as
    `args` and returns a dict (the first declared status), (dict, status), or a Response."""
    body = dict(body or {})
    implied: list[Error] = []
    if args is not None:
        implied.append(Error.BAD_ARGUMENTS)
    if write:
        implied += [Error.UNAUTHORIZED, Error.WRITES_DISABLED, Error.WRITER_BUSY, Error.INSUFFICIENT_STORAGE]
    if body:
        implied += [Error.PAYLOAD_TOO_LARGE, Error.UNSUPPORTED_MEDIA_TYPE]
    if any(schema is not None for schema in body.values()):
        implied += [Error.BAD_JSON, Error.UNPROCESSABLE]

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        summary, _, description = (view.__doc__ or "").strip().partition("\n")
        op = Operation(
            method=method.upper(),
            summary=summary.strip(),
            description=" ".join(description.split()),
            args=args,
            body=body,
            responses=dict(responses),
            content=dict(content or {}),
            errors=tuple(dict.fromkeys([*implied, *errors])),
            cached=method.upper() == "GET" if cached is None else cached,
            write=write,
        )

        @functools.wraps(view)
        def endpoint(**path: Any) -> Response:
            if write:
                require_write_token()
            if args is not None:
                path["args"] = parse_args(args)
            return _respond(op, view(**path))

        endpoint.operation = op  # type: ignore[attr-defined]
        bp.add_url_rule(rule, view_func=endpoint, methods=[op.method])
        return endpoint

    return decorate


def _respond(op: Operation, result: Any) -> Response:
    if isinstance(result, Response):
        return result
    payload, status = result if isinstance(result, tuple) else (result, next(iter(op.responses)))
    if op.cached and status == 200:
        return _cached_json(payload)
    return json_response(payload, status)


def _cached_json(payload: Any) -> Response:
    """JSON that a client may cache until the glossary or the index changes."""
    ctx = g._get_current_object()
    etag = f'W/"{ctx.glossary.version}-{ctx.index_version}"'
    fresh = etag in request.headers.get("If-None-Match", "")
    response = Response(status=304) if fresh else json_response(payload)
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-cache"  # revalidate every time; 304 when unchanged
    return response


# -- what the wrapper and the views use to read a request ------------------------------------------
_SCHEMAS: dict[type[Schema], Schema] = {}


def _schema(cls: type[Schema]) -> Schema:
    # One instance per schema class: building a marshmallow schema costs more than using it.
    found = _SCHEMAS.get(cls)
    if found is None:
        found = _SCHEMAS[cls] = cls()
    return found


def parse_args(cls: type[Schema]) -> dict[str, Any]:
    """Query arguments validated by schema `cls`, or a 400 naming each bad one."""
    try:
        return dict(_loaded_args(cls, request.query_string))
    except ValidationError as exc:
        raise ApiError(Error.BAD_ARGUMENTS, "invalid query arguments", exc.messages) from None


@functools.lru_cache(maxsize=1024)
def _loaded_args(cls: type[Schema], query_string: bytes) -> dict[str, Any]:
    # The arguments are a function of the query string: a page's common queries (?limit=20)
    # are validated once per worker, not on every request (a seventh of a passage page).
    loaded: dict[str, Any] = _schema(cls).load(request.args)
    return loaded


def parse_json_body(cls: type[Schema], partial: bool = False) -> dict[str, Any]:
    """A JSON body validated by schema `cls`: 415 if not JSON, 400 if malformed, 422 if invalid."""
    if not request.is_json:
        raise ApiError(Error.UNSUPPORTED_MEDIA_TYPE, "send the body as application/json")
    charset = request.mimetype_params.get("charset", "utf-8").lower().replace("-", "").replace("_", "")
    if charset != "utf8":
        raise ApiError(Error.UNSUPPORTED_MEDIA_TYPE, "send JSON as UTF-8 (charset=utf-8 or no charset)")
    try:
        data = request.get_json(silent=True)
    except RecursionError:  # the json module's guard against very deep nesting
        raise ApiError(Error.BAD_JSON, "the body is nested too deeply") from None
    if data is None:
        raise ApiError(Error.BAD_JSON, "the body is not valid JSON")
    if not isinstance(data, dict):
        raise ApiError(Error.UNPROCESSABLE, "the body must be a JSON object")
    try:
        loaded: dict[str, Any] = _schema(cls).load(data, partial=partial)
    except ValidationError as exc:
        raise ApiError(Error.UNPROCESSABLE, "the body has invalid fields", exc.messages) from None
    return loaded


def require_write_token() -> None:
    token = current_app.config.get("WRITE_TOKEN")
    if not token:
        raise ApiError(Error.WRITES_DISABLED, "writes are disabled: the service has no write token configured")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), str(token).encode()):
        raise ApiError(Error.UNAUTHORIZED, "send Authorization: Bearer <token> with the write token")


# -- checking a response against its contract ------------------------------------------------------
def response_problems(op: Operation, response: Response) -> list[str]:
    """How `response` breaks the contract of `op` (empty when it keeps it)."""
    status = response.status_code
    if status == 304:
        return [] if op.cached else ["304 from an endpoint that is not cacheable"]
    if status >= 400:
        error = response.get_json(silent=True)
        if not isinstance(error, dict):
            return [f"{status}: the error body is not a JSON object"]
        found = _schema(ErrorOut).validate(error)
        if found:
            return [f"{status}: the error body does not fit: {found}"]
        code = error["error"]["code"]
        if status == 413 or code in op.error_codes(status):
            return []  # 413 may come from the server before any view runs
        return [f"{status} {code}: not a declared error of {op.method} {request.path}"]
    if status not in op.responses:
        return [f"status {status} is not declared"]
    schema = op.responses[status]
    if schema is None:
        if op.content and response.mimetype not in op.content:
            return [f"{response.mimetype} is not a declared content type"]
        return [] if op.content or not response.data else [f"{status} has a body it does not declare"]
    body = response.get_json(silent=True)
    if not isinstance(body, dict):
        return [f"{status}: the body is not a JSON object"]
    found = _schema(schema).validate(body)
    return [f"{status}: the body does not fit {schema.__name__}: {found}"] if found else []
