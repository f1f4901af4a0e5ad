"""JSON bodies written by orjson: a page of passages is mostly text, and the standard library's
encoder spent more time on it than the rest of the request did (bench/postings.py)."""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response
from flask.json.provider import DefaultJSONProvider

# Dates and dataclasses go through Flask's own conversion, as before; the rest orjson writes.
_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS


def json_response(payload: Any, status: int = 200) -> Response:
    """`payload` as a JSON response, as the provider writes it, without jsonify's layers of
    context lookups and content-type parsing (on the hot path of every JSON endpoint)."""
    body = orjson.dumps(payload, default=DefaultJSONProvider.default, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE)
    return Response(body, status=status, content_type="application/json")


class OrjsonProvider(DefaultJSONProvider):
    """Flask's provider with orjson's encoder: keys in insertion order, UTF-8 as is, compact."""

    sort_keys = False
    ensure_ascii = False

    def dumps(self, obj: Any, **kwargs: Any) -> str:
        if kwargs:  # an explicit option (indent, ...) asks for the standard encoder
            return super().dumps(obj, **kwargs)
        return orjson.dumps(obj, default=self.default, option=_OPTIONS).decode()

    def response(self, *args: Any, **kwargs: Any) -> Response:
        body = orjson.dumps(
            self._prepare_response_obj(args, kwargs), default=self.default, option=_OPTIONS | orjson.OPT_APPEND_NEWLINE
        )
        return Response(body, mimetype=self.mimetype)
