"""/api/terms: the glossary's terms, each with its usage and the passages that use it."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app
from marshmallow import Schema, fields, validate

from index.backends.base import SORTS
from index.glossary import Term
from index.postings import PassageFilter
from service.api.common import (
    cached_json,
    get_term_or_404,
    hit_json,
    next_url,
    parse_args,
    term_ref,
    term_summary,
)
from service.state import current_store

bp = Blueprint("terms", __name__, url_prefix="/api")


# -- arguments ---------------------------------------------------------------------------
class IsoDate(fields.Date):
    """A date argument (OpenAPI format `date`), handed on as its YYYY-MM-DD text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:  # type: ignore[override]
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


class PageArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class TermListArgs(PageArgs):
    tag = fields.String()
    status = fields.String(validate=validate.OneOf(["draft", "approved", "deprecated"]))
    lang = fields.String(validate=validate.Length(min=2, max=12))


class PassageArgs(PageArgs):
    doc = fields.String(validate=validate.Length(min=1, max=300))
    since = IsoDate()
    until = IsoDate()
    lang = fields.String(validate=validate.Length(min=2, max=12))
    source = fields.String(validate=validate.Length(min=1, max=300))
    sort = fields.String(load_default="newest", validate=validate.OneOf(list(SORTS)))


# -- responses (documented in /openapi.json; views build plain dicts for speed) ----------
class TermSummary(Schema):
    id = fields.String(required=True)
    term = fields.String(required=True)
    status = fields.String(required=True)
    definition = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)


class TermList(Schema):
    total = fields.Integer(required=True)
    terms = fields.List(fields.Nested(TermSummary), required=True)
    next = fields.String(allow_none=True, required=True)


class TermRef(Schema):
    id = fields.String(required=True)
    term = fields.String(allow_none=True, required=True)


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


class MatchOut(Schema):
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    label = fields.String(required=True)
    rule = fields.String(required=True, metadata={"enum": ["exact", "case", "variant", "inflection"]})


class PassageOut(Schema):
    doc = fields.String(required=True)
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True)
    lang = fields.String(required=True)
    passage = fields.String(required=True)
    text = fields.String(required=True)
    matches = fields.List(fields.Nested(MatchOut), required=True)


class TermPassages(Schema):
    term = fields.String(required=True)
    total = fields.Integer(required=True)
    passages = fields.List(fields.Nested(PassageOut), required=True)
    next = fields.String(allow_none=True, required=True)


# -- views -------------------------------------------------------------------------------
def term_detail(term: Term) -> dict[str, Any]:
    """The whole term with its usage: shared by the API and the term page."""
    store = current_store()
    glossary = store.glossary
    labels: dict[str, list[dict[str, str]]] = {}
    for label in term.visible_labels():
        labels.setdefault(label.lang, []).append({"label": label.text, "kind": label.kind, "status": label.status})
    usage = store.usage(term)
    return {
        **term_summary(term),
        "notes": term.notes,
        "labels": labels,
        "sources": [{"title": s.title, "url": s.url} for s in term.sources],
        "related": [term_ref(glossary.get(i), i) for i in term.related],
        "broader": [term_ref(glossary.get(i), i) for i in term.broader],
        "narrower": [term_ref(glossary.get(i), i) for i in term.narrower],
        "replaced_by": term_ref(glossary.get(term.replaced_by), term.replaced_by) if term.replaced_by else None,
        "usage": {
            "passages": usage.passages,
            "documents": usage.documents,
            "first_seen": usage.first_seen,
            "last_seen": usage.last_seen,
        },
        "glossary_version": glossary.version,
    }


@bp.get("/terms")
def list_terms() -> Any:
    """All terms, paged, filterable by tag, status and language."""
    args = parse_args(TermListArgs)
    found = current_store().terms(args.get("tag"), args.get("status"), args.get("lang"))
    limit, offset = args["limit"], args["offset"]
    return cached_json(
        {
            "total": len(found),
            "terms": [term_summary(t) for t in found[offset : offset + limit]],
            "next": next_url("terms.list_terms", len(found), limit, offset),
        }
    )


@bp.get("/terms/<term_id>")
def get_term(term_id: str) -> Any:
    """One term with labels, relations and usage."""
    return cached_json(term_detail(get_term_or_404(term_id)))


@bp.get("/terms/<term_id>/passages")
def term_passages(term_id: str) -> Any:
    """The passages that use a term, newest documents first, paged and filterable."""
    term = get_term_or_404(term_id)
    args = parse_args(PassageArgs)
    limit = min(args["limit"], current_app.config["MAX_PAGE_SIZE"])
    where = PassageFilter(args.get("doc"), args.get("since"), args.get("until"), args.get("lang"), args.get("source"))
    total, hits = current_store().term_passages(term, where, args["sort"], limit, args["offset"])
    return cached_json(
        {
            "term": term.id,
            "total": total,
            "passages": [hit_json(h) for h in hits],
            "next": next_url("terms.term_passages", total, limit, args["offset"], term_id=term.id),
        }
    )
