"""Label resolution, autocomplete, full-text search and annotation."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request
from marshmallow import Schema, fields, validate

from service.api.common import cached_json, parse_args, parse_json_body, term_summary
from service.api.terms import TermSummary
from service.errors import ApiError
from service.state import current_store

bp = Blueprint("text", __name__, url_prefix="/api")

MAX_QUERY = 500


class LookupArgs(Schema):
    label = fields.String(required=True, validate=validate.Length(min=1, max=MAX_QUERY))


class SuggestArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=MAX_QUERY))
    limit = fields.Integer(load_default=10, validate=validate.Range(min=1, max=10))


class SearchArgs(Schema):
    q = fields.String(required=True, validate=validate.Length(min=1, max=MAX_QUERY))
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class AnnotateIn(Schema):
    text = fields.String(required=True)
    lang = fields.String(validate=validate.Length(min=2, max=12))


class LookupOut(Schema):
    query = fields.String(required=True)
    term = fields.Nested(TermSummary, required=True)
    label = fields.String(required=True)
    rule = fields.String(required=True, metadata={"enum": ["exact", "case", "variant", "inflection"]})


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


class SearchPassage(Schema):
    doc = fields.String(required=True)
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True)
    passage = fields.String(required=True)
    text = fields.String(required=True)
    highlights = fields.List(fields.Nested(Span), required=True)


class SearchOut(Schema):
    query = fields.String(required=True)
    terms = fields.List(fields.Nested(TermSummary), required=True)
    passages = fields.List(fields.Nested(SearchPassage), required=True)
    total = fields.Integer(required=True)


class AnnotationMatch(Schema):
    term = fields.String(required=True)
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    label = fields.String(required=True)
    rule = fields.String(required=True)


class AnnotateOut(Schema):
    matches = fields.List(fields.Nested(AnnotationMatch), required=True)


@bp.get("/lookup")
def lookup() -> Any:
    """Resolve a label in any form to its term; 404 with did-you-mean suggestions otherwise."""
    query = parse_args(LookupArgs)["label"]
    result = current_store().lookup(query)
    if result.term is None:
        raise ApiError(
            404,
            "not_found",
            f"no term has the label {query!r}",
            {"suggestions": [term_summary(t) for t in result.suggestions]},
        )
    return cached_json(
        {"query": result.query, "term": term_summary(result.term), "label": result.label, "rule": result.rule}
    )


@bp.get("/suggest")
def suggest() -> Any:
    """Autocomplete over all labels (at most 10)."""
    args = parse_args(SuggestArgs)
    found = current_store().suggest(args["q"], args["limit"])
    return cached_json(
        {
            "query": args["q"],
            "suggestions": [{"term": s.term.id, "label": s.label, "preferred": s.term.term} for s in found],
        }
    )


@bp.get("/search")
def search() -> Any:
    """Full-text search over passages (highlighted) and terms. Any text is a valid query."""
    args = parse_args(SearchArgs)
    result = current_store().search(args["q"], args["limit"])
    return cached_json(
        {
            "query": args["q"],
            "terms": [term_summary(t) for t in result.terms],
            "passages": [
                {
                    "doc": p.doc,
                    "title": p.title,
                    "date": p.date,
                    "passage": p.id,
                    "text": p.text,
                    "highlights": [{"start": a, "end": b} for a, b in spans],
                }
                for p, spans in result.passages
            ],
            "total": result.total,
        }
    )


@bp.post("/annotate")
def annotate() -> Any:
    """Every term occurrence in a text (JSON {"text"} or text/plain)."""
    if request.mimetype == "text/plain":
        raw = request.get_data()
        try:
            text = raw.decode(request.mimetype_params.get("charset", "utf-8"))
        except (UnicodeDecodeError, LookupError):
            raise ApiError(400, "bad_text", "the body is not text in the declared charset (UTF-8 by default)") from None
    else:
        text = parse_json_body(AnnotateIn)["text"]
    matches = current_store().annotate(text)
    return {"matches": [m.as_dict() for m in matches]}
