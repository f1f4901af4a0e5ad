"""What several endpoints do alike: the next page's URL, a term or a 404, a passage filter."""

from __future__ import annotations

import functools
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from flask import request

from index.glossary import Term
from index.postings import PassageFilter
from service.errors import ApiError, Error
from service.render import term_summary
from service.state import current_store


def next_url(path: str, total: int, limit: int, offset: int) -> str | None:
    """The next page of `path` with the request's other arguments (built by hand: url_for cost
    a seventh of a passage page)."""
    if offset + limit >= total:
        return None
    return _next_url(request.script_root, path, request.query_string, limit, offset + limit)


@functools.lru_cache(maxsize=1024)
def _next_url(root: str, path: str, query_string: bytes, limit: int, offset: int) -> str:
    # A function of its arguments: a page's common queries are encoded once per worker.
    args: dict[str, Any] = {}
    for key, value in parse_qsl(query_string.decode("utf-8", "replace"), keep_blank_values=True, errors="replace"):
        if key not in ("offset", "limit"):
            args.setdefault(key, value)  # the first of repeated arguments, as request.args reads them
    args.update(limit=limit, offset=offset)
    return f"{root}{quote(path)}?{urlencode(args, quote_via=quote)}"


def term_or_404(term_id: str) -> Term:
    """The term with this id, or a 404 that suggests the terms probably meant."""
    store = current_store()
    term = store.term(term_id)
    if term is None:
        raise ApiError(
            Error.NOT_FOUND,
            f"no term with id {term_id!r}",
            {"suggestions": [term_summary(t) for t in store.did_you_mean(term_id)]},
        )
    return term


def passage_filter(args: dict[str, Any]) -> PassageFilter:
    """The passages a request's since/until/lang/source arguments select."""
    return PassageFilter(None, args.get("since"), args.get("until"), args.get("lang"), args.get("source"))
