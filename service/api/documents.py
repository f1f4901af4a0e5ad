"""/api/documents: read, add, replace and remove documents (writes need the token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates

from index.corpus import Document, split_front_matter, validate_document_id
from index.errors import DocumentError
from service.api.common import cached_json, parse_json_body, require_write_token
from service.errors import ApiError
from service.state import current_store, services

bp = Blueprint("documents", __name__, url_prefix="/api")


# The rules of index.corpus.validate_document_id, as a pattern the OpenAPI document can carry.
DOC_ID_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99})*$"
NO_NUL = validate.Regexp(r"^[^\x00]*$", error="text may not contain NUL characters")


class DocumentFields(Schema):
    title = fields.String(validate=validate.Length(max=500))
    date = fields.Date(allow_none=True)
    source = fields.String(allow_none=True, validate=validate.Length(max=300))
    url = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=2000),
            validate.Regexp(r"^https?://[^ \t\n\r\f\v/$.?#][^ \t\n\r\f\v]*$", error="an http(s) URL"),
        ],
    )
    lang = fields.String(validate=validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))
    text = fields.String(required=True, validate=[validate.Length(min=1), NO_NUL])


class NewDocument(DocumentFields):
    id = fields.String(required=True, validate=[validate.Length(min=1, max=300), validate.Regexp(DOC_ID_PATTERN)])

    @validates("id")
    def _valid_id(self, value: str, **kwargs: Any) -> None:
        try:
            validate_document_id(value)
        except DocumentError as exc:
            raise ValidationError(str(exc)) from None


class PassageBrief(Schema):
    passage = fields.String(required=True)
    ordinal = fields.Integer(required=True)
    text = fields.String(required=True)


class DocumentOut(Schema):
    id = fields.String(required=True)
    title = fields.String(required=True)
    date = fields.String(allow_none=True, required=True)
    source = fields.String(allow_none=True, required=True)
    url = fields.String(allow_none=True, required=True)
    lang = fields.String(required=True)
    text = fields.String(required=True)
    passages = fields.List(fields.Nested(PassageBrief), required=True)


def document_json(doc: Document) -> dict[str, Any]:
    _, body = split_front_matter(doc.body)
    return {
        **doc.meta(),
        "text": body,
        "passages": [{"passage": p.id, "ordinal": p.ordinal, "text": p.text} for p in doc.passages],
    }


def _checked_id(doc_id: str) -> str:
    try:
        return validate_document_id(doc_id)
    except DocumentError as exc:
        raise ApiError(400, "bad_document_id", str(exc)) from None


def _store(doc_id: str, data: dict[str, Any]) -> tuple[Document, bool]:
    meta = {k: data.get(k) for k in ("title", "date", "source", "url", "lang")}
    if meta["date"] is not None:
        meta["date"] = meta["date"].isoformat()
    return services().library.put(doc_id, data["text"], meta, current_app.config["WRITE_WAIT_SECONDS"])


@bp.get("/documents/<doc_id:doc_id>")
def get_document(doc_id: str) -> Any:
    """A document with its metadata, text and passages."""
    doc = current_store().snapshot.get_document(_checked_id(doc_id))
    if doc is None:
        raise ApiError(404, "not_found", f"no document {doc_id!r}")
    return cached_json(document_json(doc))


@bp.post("/documents")
def create_document() -> Any:
    """Add a document; 409 if the id is taken (use PUT to replace)."""
    require_write_token()
    data = parse_json_body(NewDocument)
    if current_store().snapshot.get_document(data["id"]) is not None:
        raise ApiError(409, "conflict", f"document {data['id']!r} exists; PUT replaces it")
    doc, _ = _store(data["id"], data)
    response = cached_json(document_json(doc), 201)
    response.headers["Location"] = url_for("documents.get_document", doc_id=doc.id)
    return response


@bp.put("/documents/<doc_id:doc_id>")
def replace_document(doc_id: str) -> Any:
    """Create or replace a document: durable and visible to every worker on return."""
    require_write_token()
    _checked_id(doc_id)
    data = parse_json_body(DocumentFields)
    doc, created = _store(doc_id, data)
    return cached_json(document_json(doc), 201 if created else 200)


@bp.delete("/documents/<doc_id:doc_id>")
def delete_document(doc_id: str) -> Any:
    """Remove a document from the corpus and the index."""
    require_write_token()
    services().library.delete(_checked_id(doc_id), current_app.config["WRITE_WAIT_SECONDS"])
    return "", 204
