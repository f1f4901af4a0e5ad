"""/api/terms: the glossary's terms, each with its usage and the passages that use it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from marshmallow import Schema, fields, validate

from index.glossary import Term
from index.postings import PassageFilter
from service.api.common import next_url, term_or_404
from service.api.contract import operation
from service.api.schemas import LANG, PageArgs, PassageArgs, PassageOut, TermRef, TermSummary
from service.errors import Error
from service.render import hit_json, term_detail, term_summary
from service.state import current_store

bp = Blueprint("terms", __name__, url_prefix="/api")


class TermListArgs(PageArgs):
    tag = fields.String()
    status = fields.String(validate=validate.OneOf(["draft", "approved", "deprecated"]))
    lang = fields.String(validate=LANG)


class TermList(Schema):
    total = fields.Integer(required=True)
    terms = fields.List(fields.Nested(TermSummary), required=True)
    next = fields.String(allow_none=True, required=True)


class LabelOut(Schema):
    label = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": ["preferred", "alternative"]})
    status = fields.String(required=True, metadata={"enum": ["preferred", "admitted", "deprecated"]})


class SourceOut(Schema):
    title = fields.String(required=True)
    url = fields.String(allow_none=True, required=True)


class UsageOut(Schema):
    passages = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    first_seen = fields.String(allow_none=True, required=True)
    last_seen = fields.String(allow_none=True, required=True)


class TermDetail(TermSummary):
    notes = fields.String(allow_none=True, required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.List(fields.Nested(LabelOut)), required=True)
    sources = fields.List(fields.Nested(SourceOut), required=True)
    related = fields.List(fields.Nested(TermRef), required=True)
    broader = fields.List(fields.Nested(TermRef), required=True)
    narrower = fields.List(fields.Nested(TermRef), required=True)
    replaced_by = fields.Nested(TermRef, allow_none=True, required=True)
    usage = fields.Nested(UsageOut, required=True)
    glossary_version = fields.String(required=True)


class TermPassages(Schema):
    term = fields.String(required=True, metadata={"description": "the term's id"})
    total = fields.Integer(required=True)
    passages = fields.List(fields.Nested(PassageOut), required=True)
    next = fields.String(allow_none=True, required=True)


@operation(bp, "/terms", args=TermListArgs, responses={200: TermList})
def list_terms(args: dict[str, Any]) -> Any:
    """List terms, paged, filterable by tag, status and language."""
    found = current_store().terms(args.get("tag"), args.get("status"), args.get("lang"))
    limit, offset = args["limit"], args["offset"]
    return {
        "total": len(found),
        "terms": [term_summary(t) for t in found[offset : offset + limit]],
        "next": next_url("/api/terms", len(found), limit, offset),
    }


@operation(bp, "/terms/<term_id>", responses={200: TermDetail}, errors=[Error.NOT_FOUND])
def get_term(term_id: str) -> Any:
    """One term with labels, relations and usage."""
    return term_detail(current_store(), term_or_404(term_id))


@operation(bp, "/terms/<term_id>/passages", args=PassageArgs, responses={200: TermPassages}, errors=[Error.NOT_FOUND])
def term_passages(term_id: str, args: dict[str, Any]) -> Any:
    """Passages that use a term, newest documents first, paged and filterable."""
    term: Term = term_or_404(term_id)
    limit = min(args["limit"], current_app.config["MAX_PAGE_SIZE"])
    where = PassageFilter(args.get("doc"), args.get("since"), args.get("until"), args.get("lang"), args.get("source"))
    total, hits = current_store().term_passages(term, where, args["sort"], limit, args["offset"])
    return {
        "term": term.id,
        "total": total,
        "passages": [hit_json(h) for h in hits],
        "next": next_url(f"/api/terms/{term.id}/passages", total, limit, args["offset"]),
    }
