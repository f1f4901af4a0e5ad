"""Shapes that several endpoints share, declared once: arguments (paging, filters) and parts of
responses (a term summary, a term reference, a match, a passage, the error body).

Names mean one thing: a field called `term` is always a term's id; an object that describes a
term has `id` and `preferred` (its preferred label); `label` is the label that was used."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from index.backends import SORTS
from index.matcher import RULES
from service.errors import Error

LANG = validate.Length(min=2, max=12)


# -- arguments --------------------------------------------------------------------------------
class IsoDate(fields.Date):
    """A date argument (OpenAPI format `date`), handed on as its YYYY-MM-DD text."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:  # type: ignore[override]
        return super()._deserialize(value, attr, data, **kwargs).isoformat()


class PageArgs(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=1000))
    offset = fields.Integer(load_default=0, validate=validate.Range(min=0, max=10_000_000))


class FilterArgs(Schema):
    """Which passages count: a date range (of the documents), a language, a source."""

    since = IsoDate()
    until = IsoDate()
    lang = fields.String(validate=LANG)
    source = fields.String(validate=validate.Length(min=1, max=300))


class PassageArgs(PageArgs, FilterArgs):
    doc = fields.String(validate=validate.Length(min=1, max=300))
    sort = fields.String(load_default="newest", validate=validate.OneOf(list(SORTS)))


# -- responses --------------------------------------------------------------------------------
class TermSummary(Schema):
    id = fields.String(required=True)
    preferred = fields.String(required=True, metadata={"description": "the preferred label"})
    status = fields.String(required=True, metadata={"enum": ["draft", "approved", "deprecated"]})
    definition = fields.String(required=True)
    tags = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)


class TermRef(Schema):
    id = fields.String(required=True)
    preferred = fields.String(allow_none=True, required=True, metadata={"description": "null if the id is unknown"})


class MatchOut(Schema):
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)
    label = fields.String(required=True)
    rule = fields.String(required=True, metadata={"enum": list(RULES)})
    nested = fields.Boolean(
        required=True, metadata={"description": "inside a longer match of another term (GPU in GPU cluster)"}
    )


class TermMatchOut(MatchOut):
    term = fields.String(required=True, metadata={"description": "the id of the term matched"})


class PassageBase(Schema):
    """A passage and the document it is in."""

    doc = fields.String(required=True)
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True)
    lang = fields.String(required=True)
    passage = fields.String(required=True, metadata={"description": "the passage's id: doc:ordinal"})
    text = fields.String(required=True)


class PassageOut(PassageBase):
    """A passage with the matches of one term in it."""

    matches = fields.List(fields.Nested(MatchOut), required=True)


class ErrorDetail(Schema):
    code = fields.String(required=True, validate=validate.OneOf([e.code for e in Error]))
    message = fields.String(required=True)
    details = fields.Dict(required=True)


class ErrorOut(Schema):
    error = fields.Nested(ErrorDetail, required=True)
