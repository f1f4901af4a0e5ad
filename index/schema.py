"""marshmallow schemas for glossary.yaml: the only place that knows the file's shape."""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate, validates_schema

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
LANG = r"^[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})*$"
LABEL_STATUSES = ("preferred", "admitted", "deprecated")
TERM_STATUSES = ("draft", "approved", "deprecated")


class LabelSchema(Schema):
    class Meta:
        unknown = RAISE

    label = fields.String(required=True, validate=validate.Length(min=1, max=200))
    status = fields.String(validate=validate.OneOf(LABEL_STATUSES))
    case_sensitive = fields.Boolean(load_default=False)


class LabelEntry(fields.Field[dict[str, Any]]):
    """A label written either as a plain string or as a mapping with a status."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> dict[str, Any]:
        if isinstance(value, str):
            value = {"label": value}
        if not isinstance(value, dict):
            raise ValidationError("must be a string or a mapping with `label`")
        loaded: dict[str, Any] = LabelSchema().load(value)
        return loaded


class SourceSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String(required=True, validate=validate.Length(min=1))
    url = fields.Url(schemes={"http", "https"})


class ExamplesSchema(Schema):
    class Meta:
        unknown = RAISE

    match = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    no_match = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)


class TermSchema(Schema):
    class Meta:
        unknown = RAISE

    id = fields.String(
        required=True, validate=validate.Regexp(SLUG, error="must be a lower-case slug like `digital-twin`")
    )
    term = fields.String(required=True, validate=validate.Length(min=1, max=200))
    definition = fields.String(required=True, validate=validate.Length(min=1))
    notes = fields.String()
    sources = fields.List(fields.Nested(SourceSchema), load_default=list)
    aliases = fields.List(LabelEntry(), load_default=list)
    hidden = fields.List(LabelEntry(), load_default=list)
    labels = fields.Dict(
        keys=fields.String(validate=validate.Regexp(LANG, error="must be a language code like `ko`")),
        values=fields.List(LabelEntry(), validate=validate.Length(min=1)),
        load_default=dict,
    )
    status = fields.String(validate=validate.OneOf(TERM_STATUSES), load_default="approved")
    replaced_by = fields.String(validate=validate.Regexp(SLUG))
    related = fields.List(fields.String(), load_default=list)
    broader = fields.List(fields.String(), load_default=list)
    narrower = fields.List(fields.String(), load_default=list)
    tags = fields.List(fields.String(validate=validate.Length(min=1)), load_default=list)
    examples = fields.Nested(ExamplesSchema, load_default=lambda: {"match": [], "no_match": []})

    @validates_schema
    def _replacement_needs_deprecation(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("replaced_by") and data.get("status") != "deprecated":
            raise ValidationError("only a deprecated term has a replacement", "replaced_by")


class GlossaryFileSchema(Schema):
    class Meta:
        unknown = RAISE

    title = fields.String()
    terms = fields.List(fields.Raw(), required=True)
    # Appended from review.yaml when the service reads the glossary (index/review.py).
    rejected_matches = fields.List(fields.Raw())


# Every field name the file may use, to suggest the nearest one for a misspelt field.
KNOWN_FIELDS = sorted(
    {
        name
        for schema in (GlossaryFileSchema, TermSchema, LabelSchema, SourceSchema, ExamplesSchema)
        for name in schema().fields
    }
)
