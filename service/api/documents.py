"""/api/documents: read, add, replace and remove documents (writes need the token)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema

from index.corpus import Document, validate_document_id
from index.errors import DocumentError
from index.fetch import fetch
from index.ingest import extract, id_for_text, id_for_url, now_iso
from service.api.contract import operation, parse_json_body
from service.config import fetch_policy
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
    author = fields.String(allow_none=True, validate=[validate.Length(max=300), STORABLE_TEXT])
    text = fields.String(
        validate=[validate.Length(min=1), STORABLE_TEXT],
        metadata={"description": "the document's text; without it, the page or PDF at `url` is fetched"},
    )

    OPENAPI_EXTRA = {
        "anyOf": [{"required": ["text"]}, {"required": ["url"], "properties": {"url": {"type": "string"}}}]
    }

    @validates_schema
    def _text_or_url(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data.get("text") and not data.get("url"):
            raise ValidationError("send the text, or a url to fetch it from", "text")


class NewDocument(DocumentFields):
    id = fields.String(
        validate=[validate.Length(min=1, max=300), validate.Regexp(DOC_ID_PATTERN)],
        metadata={"description": "without one, the id is made from the URL (`web/...`) or the text (`doc-...`)"},
    )

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
    author = fields.String(allow_none=True, required=True)
    fetched = fields.String(
        allow_none=True, required=True, metadata={"description": "when the text was fetched from `url` (ISO 8601)"}
    )
    text = fields.String(required=True)
    passages = fields.List(fields.Nested(PassageBrief), required=True)


def _checked_id(doc_id: str) -> str:
    try:
        return validate_document_id(doc_id)
    except DocumentError as exc:
        raise ApiError(Error.BAD_DOCUMENT_ID, str(exc)) from None


# Bodies a document can come in: JSON (its text, or a url to fetch), an HTML page, a PDF file.
DOCUMENT_BODIES = {"text/html": None, "application/pdf": None}
META = ("title", "date", "source", "url", "lang", "author")  # what a client may set


class NewDocumentArgs(Schema):
    id = fields.String(
        validate=[validate.Length(min=1, max=300), validate.Regexp(DOC_ID_PATTERN)],
        metadata={"description": "for an HTML or PDF body: the new document's id (else made from its URL or text)"},
    )


def _from_json(data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The text and metadata of a JSON body; without text, what its url points to."""
    meta = {k: data.get(k) for k in META}
    if meta["date"] is not None:
        meta["date"] = meta["date"].isoformat()
    if data.get("text"):
        return data["text"], meta
    fetched = fetch(data["url"], fetch_policy(current_app.config))
    assert fetched is not None  # no conditional headers were sent
    found = extract(fetched.body, fetched.content_type, fetched.url, fetched.charset)
    # What the client sent wins over what the page says.
    merged = {k: meta[k] if meta[k] not in (None, "") else v for k, v in found.meta().items()}
    return found.text, {**merged, "fetched": now_iso()}


def _from_file() -> tuple[str, dict[str, Any]]:
    """The text and metadata of an HTML page or a PDF file sent as the body."""
    found = extract(request.get_data(), request.mimetype, charset=request.mimetype_params.get("charset"))
    return found.text, found.meta()


def _document_body(schema: type[Schema]) -> tuple[str | None, str, dict[str, Any]]:
    """(id from a JSON body, text, metadata) of a request, whichever body type it sent."""
    if request.mimetype in DOCUMENT_BODIES:
        return (None, *_from_file())
    data = parse_json_body(schema)
    return (data.get("id"), *_from_json(data))


def _store(doc_id: str, text: str, meta: dict[str, Any]) -> tuple[Document, bool]:
    return services().library.put(doc_id, text, meta, current_app.config["WRITE_WAIT_SECONDS"])


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
    args=NewDocumentArgs,
    body={"application/json": NewDocument, **DOCUMENT_BODIES},
    responses={201: DocumentOut},
    errors=[Error.CONFLICT, Error.BAD_DOCUMENT, Error.BAD_DOCUMENT_ID, Error.URL_REFUSED, Error.FETCH_FAILED],
    write=True,
)
def create_document(args: dict[str, Any]) -> Any:
    """Add a document (JSON with its text or a url to fetch, an HTML page, or a PDF); 409 if the id is taken.

    The text of an HTML page is its main article text (no navigation or boilerplate), with
    title, date, site, URL and language from its metadata; a PDF's is its text in reading
    order, with title and date from its metadata. PUT replaces a document.
    """
    body_id, text, meta = _document_body(NewDocument)
    # Without an id: one made from the page's URL, else from the text itself.
    doc_id = body_id or args.get("id") or (id_for_url(meta["url"]) if meta.get("url") else None) or id_for_text(text)
    if current_store().get_document(_checked_id(doc_id)) is not None:
        raise ApiError(Error.CONFLICT, f"document {doc_id!r} exists; PUT replaces it")
    doc, _ = _store(doc_id, text, meta)
    response: Response = jsonify(document_json(doc))
    response.status_code = 201
    response.headers["Location"] = url_for("documents.get_document", doc_id=doc.id)
    return response


@operation(
    bp,
    "/documents/<doc_id:doc_id>",
    "PUT",
    body={"application/json": DocumentFields, **DOCUMENT_BODIES},
    responses={200: DocumentOut, 201: DocumentOut},
    errors=[Error.BAD_DOCUMENT_ID, Error.BAD_DOCUMENT, Error.URL_REFUSED, Error.FETCH_FAILED],
    write=True,
)
def replace_document(doc_id: str) -> Any:
    """Create or replace a document (JSON, HTML or PDF, as POST takes): durable, visible to every worker on return."""
    _checked_id(doc_id)
    _, text, meta = _document_body(DocumentFields)
    doc, created = _store(doc_id, text, meta)
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
