"""Helpers every endpoint shares: argument parsing, JSON bodies, caching headers, auth."""

from __future__ import annotations

import hmac
from typing import Any

from flask import Response, current_app, g, jsonify, request, url_for
from marshmallow import Schema, ValidationError

from index.glossary import Term
from index.store import Hit
from service.errors import ApiError

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
        return _schema(cls).load(request.args)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ApiError(400, "bad_arguments", "invalid query arguments", exc.messages) from None


def parse_json_body(cls: type[Schema], partial: bool = False) -> dict[str, Any]:
    """A JSON body validated by schema `cls`: 415 if not JSON, 400 if malformed, 422 if invalid."""
    if not request.is_json:
        raise ApiError(415, "unsupported_media_type", "send the body as application/json")
    data = request.get_json(silent=True)
    if data is None:
        raise ApiError(400, "bad_json", "the body is not valid JSON")
    if not isinstance(data, dict):
        raise ApiError(422, "unprocessable", "the body must be a JSON object")
    try:
        return _schema(cls).load(data, partial=partial)  # type: ignore[no-any-return]
    except ValidationError as exc:
        raise ApiError(422, "unprocessable", "the body has invalid fields", exc.messages) from None


def cached_json(payload: Any, status: int = 200) -> Response:
    """JSON that a client may cache until the glossary or the index changes."""
    etag = f'W/"{g.glossary.version}-{g.index_version}"'
    if status == 200 and etag in request.headers.get("If-None-Match", ""):
        response = Response(status=304)
    else:
        response = jsonify(payload)
        response.status_code = status
    response.headers["ETag"] = etag
    response.headers["Cache-Control"] = "no-cache"  # revalidate every time; 304 when unchanged
    return response


def require_write_token() -> None:
    token = current_app.config.get("WRITE_TOKEN")
    if not token:
        raise ApiError(403, "writes_disabled", "writes are disabled: the service has no write token configured")
    given = request.headers.get("Authorization", "")
    scheme, _, value = given.partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(value.strip().encode(), str(token).encode()):
        raise ApiError(401, "unauthorized", "send Authorization: Bearer <token> with the write token")


def term_summary(term: Term) -> dict[str, Any]:
    return {
        "id": term.id,
        "term": term.term,
        "status": term.status,
        "definition": term.definition,
        "tags": list(term.tags),
        "languages": list(term.languages),
    }


def term_ref(term: Term | None, term_id: str) -> dict[str, Any]:
    return {"id": term_id, "term": term.term if term else None}


def hit_json(hit: Hit) -> dict[str, Any]:
    p = hit.passage
    return {
        "doc": p.doc,
        "title": p.title,
        "date": p.date,
        "lang": p.lang,
        "passage": p.id,
        "text": p.text,
        "matches": [{"start": m.start, "end": m.end, "label": m.label, "rule": m.rule} for m in hit.matches],
    }


def next_url(endpoint: str, total: int, limit: int, offset: int, **values: Any) -> str | None:
    if offset + limit >= total:
        return None
    args: dict[str, Any] = {k: v for k, v in request.args.items() if k not in ("offset", "limit")}
    args.update(values, limit=limit, offset=offset + limit)
    return url_for(endpoint, **args)


def get_term_or_404(term_id: str) -> Term:
    from service.state import current_store

    store = current_store()
    term = store.term(term_id)
    if term is None:
        raise ApiError(
            404,
            "not_found",
            f"no term with id {term_id!r}",
            {"suggestions": [t.id for t in store.did_you_mean(term_id.replace("-", " "))]},
        )
    return term
