"""Curators in the loop: alias suggestions from the corpus, accepted into glossary.yaml or rejected
into review.yaml (writes need the token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, current_app
from marshmallow import Schema, fields, validate

from index.aliases import CONFIDENT, KINDS
from index.curation import add_alias, diff, merge_entry
from index.durable import exclusive_lock, no_space_is_storage_full, write_atomically
from index.errors import AliasConflict, GlossaryInvalid
from index.review import reject_alias
from service.api.common import term_or_404
from service.api.contract import operation, parse_json_body
from service.errors import ApiError, Error
from service.state import current_store

bp = Blueprint("curation", __name__, url_prefix="/api")
EDIT_LOCK = "glossary-edit.lock"  # one curator's edit of the files at a time


class SuggestionArgs(Schema):
    term = fields.String(validate=validate.Length(min=1, max=200))
    kind = fields.String(validate=validate.OneOf(KINDS))
    min_score = fields.Float(load_default=0.0, validate=validate.Range(min=0, max=1))
    confident = fields.Boolean(metadata={"description": f"only suggestions scored at least {CONFIDENT}"})


class Example(Schema):
    doc = fields.String(required=True)
    passage = fields.String(required=True)
    text = fields.String(required=True)
    start = fields.Integer(required=True)
    end = fields.Integer(required=True)


class Suggestion(Schema):
    term = fields.String(required=True)
    alias = fields.String(required=True)
    kind = fields.String(required=True, metadata={"enum": list(KINDS)})
    score = fields.Float(required=True)
    confident = fields.Boolean(required=True, metadata={"description": f"score >= {CONFIDENT}"})
    passages = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    examples = fields.List(fields.Nested(Example), required=True)
    merge = fields.String(
        allow_none=True, required=True, metadata={"description": "cross-reference: the entry accepting it merges"}
    )


class SuggestionsOut(Schema):
    computed_at = fields.String(allow_none=True, required=True)
    current = fields.Boolean(required=True, metadata={"description": "computed from the corpus and glossary served"})
    threshold = fields.Float(required=True)
    suggestions = fields.List(fields.Nested(Suggestion), required=True)


class AliasIn(Schema):
    alias = fields.String(required=True, validate=validate.Length(min=1, max=200))
    status = fields.String(load_default="admitted", validate=validate.OneOf(["admitted", "preferred", "deprecated"]))
    merge = fields.String(
        validate=validate.Length(min=1, max=200),
        metadata={"description": "the cross-reference entry to merge (its labels become aliases; it is removed)"},
    )


class EditOut(Schema):
    term = fields.String(required=True)
    alias = fields.String(required=True)
    written = fields.Boolean(required=True)
    diff = fields.String(required=True)


class RejectionIn(Schema):
    term = fields.String(required=True, validate=validate.Length(min=1, max=200))
    alias = fields.String(required=True, validate=validate.Length(min=1, max=200))
    by = fields.String(load_default="curator", validate=validate.Length(min=1, max=100))


class RejectionOut(Schema):
    term = fields.String(required=True)
    alias = fields.String(required=True)
    recorded = fields.Boolean(required=True, metadata={"description": "false when it was rejected already"})


def _edit_lock() -> Any:
    return exclusive_lock(Path(current_app.config["INDEX_DIR"]) / EDIT_LOCK, current_app.config["WRITE_WAIT_SECONDS"])


@operation(bp, "/suggestions/aliases", args=SuggestionArgs, responses={200: SuggestionsOut})
def alias_suggestions(args: dict[str, Any]) -> Any:
    """Labels the corpus uses for a term that the glossary lacks, with evidence and a score.

    Computed by the background writer after writes and glossary edits (never on a request).
    """
    stored = current_store().alias_suggestions()
    items = [
        s
        for s in stored.items
        if (not args.get("term") or s["term"] == args["term"])
        and (not args.get("kind") or s["kind"] == args["kind"])
        and s["score"] >= args["min_score"]
        and (args.get("confident") is None or s["confident"] == args["confident"])
    ]
    return {"computed_at": stored.computed_at, "current": stored.current, "threshold": CONFIDENT, "suggestions": items}


@operation(
    bp,
    "/terms/<term_id>/aliases",
    "POST",
    body={"application/json": AliasIn},
    responses={200: EditOut},
    errors=[Error.NOT_FOUND, Error.CONFLICT, Error.INVALID_GLOSSARY],
    write=True,
)
def accept_alias(term_id: str) -> Any:
    """Accept an alias: written into glossary.yaml (comments and layout kept), validated like a hand edit.

    409 names the other term when the alias is a label of it already. The edit is live like any
    other: the background writer re-matches what it changes.
    """
    term_or_404(term_id)
    data = parse_json_body(AliasIn)
    path = Path(current_app.config["GLOSSARY_PATH"])
    with _edit_lock():
        before = path.read_text(encoding="utf-8")
        try:
            after = (
                merge_entry(before, term_id, data["merge"], path.name)
                if data.get("merge")
                else add_alias(before, term_id, data["alias"], data["status"], path.name)
            )
        except AliasConflict as exc:
            raise ApiError(Error.CONFLICT, str(exc), {"term": exc.other}) from None
        except GlossaryInvalid as exc:
            raise ApiError(
                Error.INVALID_GLOSSARY,
                "the edit would make the glossary invalid",
                {"problems": [p.as_dict() for p in exc.problems]},
            ) from None
        if after != before:
            with no_space_is_storage_full("the glossary file"):
                write_atomically(path, after.encode("utf-8"))
    return {"term": term_id, "alias": data["alias"], "written": after != before, "diff": diff(before, after, path.name)}


@operation(
    bp,
    "/suggestions/aliases/rejections",
    "POST",
    body={"application/json": RejectionIn},
    responses={200: RejectionOut},
    errors=[Error.NOT_FOUND],
    write=True,
)
def reject_alias_suggestion() -> Any:
    """Reject a suggestion: recorded in review.yaml beside the glossary, never suggested again."""
    data = parse_json_body(RejectionIn)
    term_or_404(data["term"])
    with _edit_lock(), no_space_is_storage_full("the review file"):
        recorded = reject_alias(current_app.config["REVIEW_PATH"], data["term"], data["alias"], data["by"])
    return {"term": data["term"], "alias": data["alias"], "recorded": recorded}
