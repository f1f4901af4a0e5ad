"""/api/documents: read, add, replace and remove documents (writes need the token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates

from index.corpus import Document, validate_document_id
from index.errors import DocumentError
from service.api.contract import operation, parse_json_body
from service.errors import ApiError, Error
from service.render import document_json
from service.state import current_store, services

bp = Blueprint("documents", __name__, url_prefix="/api")


# The rules of index.corpus.validate_document_id, as a pattern the OpenAPI document can carry.
DOC_ID_PATTERN = r"^(?!.*\.\.)[A-Za-z0-9][A-Za-z0-9._-]{0,99}(/[A-Za-z0-9][A-Za-z0-9._-]{0,99})*$"
# NUL and lone surrogates (\ud800 in JSON) cannot be stored as UTF-8 text.
STORABLE_TEXT = validate.Regexp(
    r"^[^\x00\ud800-\udfff]*$", error="text may not contain NUL characters or lone surrogates"
)


class DocumentFields(Schema):
    title = fields.String(validate=[validate.Length(max=500), STORABLE_TEXT])
    date = fields.Date(allow_none=True)
    source = fields.String(allow_none=True, validate=[validate.Length(max=300), STORABLE_TEXT])
    url = fields.String(
        allow_none=True,
        validate=[
            validate.Length(max=2000),
            validate.Regexp(r"^https?://[^ \t\n\r\f\v/$.?#][^ \t\n\r\f\v]*$", error="an http(s) URL"),
        ],
    )
    lang = fields.String(validate=validate.Regexp(r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$"))
    text = fields.String(required=True, validate=[validate.Length(min=1), STORABLE_TEXT])


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


def _checked_id(doc_id: str) -> str:
    try:
        return validate_document_id(doc_id)
    except DocumentError as exc:
        raise ApiError(Error.BAD_DOCUMENT_ID, str(exc)) from None


def _store(doc_id: str, data: dict[str, Any]) -> tuple[Document, bool]:
    meta = {k: data.get(k) for k in ("title", "date", "source", "url", "lang")}
    if meta["date"] is not None:
        meta["date"] = meta["date"].isoformat()
    return services().library.put(doc_id, data["text"], meta, current_app.config["WRITE_WAIT_SECONDS"])


@operation(
    bp,
    "/documents/<doc_id:doc_id>",
    responses={200: DocumentOut},
    errors=[Error.BAD_DOCUMENT_ID, Error.NOT_FOUND],
)
def get_document(doc_id: str) -> Any:
    """Read a document: its metadata, text and passages."""
    doc = current_store().get_document(_checked_id(doc_id))
    if doc is None:
        raise ApiError(Error.NOT_FOUND, f"no document {doc_id!r}")
    return document_json(doc)


@operation(
    bp,
    "/documents",
    "POST",
    body={"application/json": NewDocument},
    responses={201: DocumentOut},
    errors=[Error.CONFLICT, Error.BAD_DOCUMENT],
    write=True,
)
def create_document() -> Any:
    """Add a document; 409 if the id is taken (PUT replaces it)."""
    data = parse_json_body(NewDocument)
    if current_store().get_document(data["id"]) is not None:
        raise ApiError(Error.CONFLICT, f"document {data['id']!r} exists; PUT replaces it")
    doc, _ = _store(data["id"], data)
    response: Response = jsonify(document_json(doc))
    response.status_code = 201
    response.headers["Location"] = url_for("documents.get_document", doc_id=doc.id)
    return response


@operation(
    bp,
    "/documents/<doc_id:doc_id>",
    "PUT",
    body={"application/json": DocumentFields},
    responses={200: DocumentOut, 201: DocumentOut},
    errors=[Error.BAD_DOCUMENT_ID, Error.BAD_DOCUMENT],
    write=True,
)
def replace_document(doc_id: str) -> Any:
    """Create or replace a document: durable and visible to every worker on return."""
    _checked_id(doc_id)
    data = parse_json_body(DocumentFields)
    doc, created = _store(doc_id, data)
    return document_json(doc), 201 if created else 200


@operation(
    bp,
    "/documents/<doc_id:doc_id>",
    "DELETE",
    responses={204: None},
    errors=[Error.BAD_DOCUMENT_ID, Error.NOT_FOUND],
    write=True,
)
def delete_document(doc_id: str) -> Any:
    """Remove a document from the corpus and the index."""
    services().library.delete(_checked_id(doc_id), current_app.config["WRITE_WAIT_SECONDS"])
    return Response(status=204)
