"""Label resolution, autocomplete, full-text search and annotation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from index.matcher import RULES
from service.api.contract import operation, parse_json_body
from service.api.schemas import LANG, PassageBase, TermMatchOut, TermSummary
from service.errors import ApiError, Error
from service.render import passage_json, term_summary
from service.state import current_store

bp = Blueprint("text", __name__, url_prefix="/api")

MAX_QUERY = 500
MAX_MATCHES = 10_000  # an annotate answer never lists more (1 MB of "GPU " has 250,000)


class LookupArgs(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=MAX_QUERY))


class SuggestArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=MAX_QUERY))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=10))


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=MAX_QUERY))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AnnotateArgs(Schema):
    overlaps = fields.String(
        load_default="none",
        validate=validate.OneOf(["none", "all"]),
        metadata={"description": "none: leftmost-longest, no overlaps; all: nested and overlapping matches too"},
    )
    limit = fields.Integer(load_default=MAX_MATCHES, validate=validate.Range(min=1, max=MAX_MATCHES))


class AnnotateIn(Schema):
    text = fields.String(required=True)
    lang = fields.String(validate=LANG)


class LookupOut(Schema):
    query = fields.String(required=True)
    term = fields.String(required=True, metadata={"description": "the id of the term found"})
    label = fields.String(required=True, metadata={"description": "the label the query matched"})
    rule = fields.String(required=True, metadata={"enum": list(RULES)})
    summary = fields.Nested(TermSummary, required=True)


class SuggestionOut(Schema):
    term = fields.String(required=True)
    label = fields.String(required=True)
    preferred = fields.String(required=True)


class SuggestOut(Schema):
    query = fields.String(required=True)
    suggestions = fields.List(fields.Nested(SuggestionOut), required=True)


class Span(Schema):
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)


class SearchPassage(PassageBase):
    highlights = fields.List(fields.Nested(Span), required=True)


class SearchOut(Schema):
    query = fields.String(required=True)
    terms = fields.List(fields.Nested(TermSummary), required=True)
    passages = fields.List(fields.Nested(SearchPassage), required=True)
    total = fields.Integer(required=True)


class AnnotateOut(Schema):
    matches = fields.List(fields.Nested(TermMatchOut), required=True)
    total = fields.Integer(required=True, metadata={"description": "matches found (more than returned when truncated)"})
    truncated = fields.Boolean(required=True, metadata={"description": "true when only the first `limit` are returned"})


@operation(bp, "/lookup", args=LookupArgs, responses={200: LookupOut}, errors=[Error.NOT_FOUND])
def lookup(args: dict[str, Any]) -> Any:
    """Resolve a label in any form to its term; 404 with did-you-mean suggestions otherwise."""
    store = current_store()
    result = store.lookup(args["label"])
    if result.term is None:
        raise ApiError(
            Error.NOT_FOUND,
            f"no term has the label {result.query!r}",
            {"suggestions": [term_summary(t) for t in store.did_you_mean(result.query)]},
        )
    return {
        "query": result.query,
        "term": result.term.id,
        "label": result.label,
        "rule": result.rule,
        "summary": term_summary(result.term),
    }


@operation(bp, "/suggest", args=SuggestArgs, responses={200: SuggestOut})
def suggest(args: dict[str, Any]) -> Any:
    """Autocomplete over all labels (at most 10)."""
    found = current_store().suggest(args["q"], args["limit"])
    return {
        "query": args["q"],
        "suggestions": [{"term": s.term.id, "label": s.label, "preferred": s.term.preferred} for s in found],
    }


@operation(bp, "/search", args=SearchArgs, responses={200: SearchOut})
def search(args: dict[str, Any]) -> Any:
    """Full-text search over passages (highlighted) and terms. Any text is a valid query."""
    result = current_store().search(args["q"], args["limit"])
    return {
        "query": args["q"],
        "terms": [term_summary(t) for t in result.terms],
        "passages": [
            {**passage_json(p), "highlights": [{"start": a, "end": b} for a, b in spans]}
            for p, spans in result.passages
        ],
        "total": result.total,
    }


@operation(
    bp,
    "/annotate",
    "POST",
    args=AnnotateArgs,
    body={"application/json": AnnotateIn, "text/plain": None},
    responses={200: AnnotateOut},
    errors=[Error.BAD_TEXT],
)
def annotate(args: dict[str, Any]) -> Any:
    """Find every term occurrence in a text (JSON {"text"} or text/plain).

    By default the leftmost-longest view (no overlaps); `overlaps=all` adds every nested and
    overlapping match, each saying whether it is nested inside a longer one.
    """
    if request.mimetype == "text/plain":
        raw = request.get_data()
        try:
            text = raw.decode(request.mimetype_params.get("charset", "utf-8"))
        except (UnicodeDecodeError, LookupError):
            raise ApiError(Error.BAD_TEXT, "the body is not text in the declared charset (UTF-8 by default)") from None
    else:
        text = parse_json_body(AnnotateIn)["text"]
    matches = current_store().annotate(text, overlaps=args["overlaps"] == "all")
    shown = matches[: args["limit"]]
    return {"matches": [m.as_dict() for m in shown], "total": len(matches), "truncated": len(shown) < len(matches)}
