"""Curators in the loop: alias suggestions from the corpus, accepted into glossary.yaml or rejected
into review.yaml (writes need the token)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, current_app
from marshmallow import Schema, fields, validate

from index.aliases import CONFIDENT, KINDS
from index.curation import add_alias, add_no_match, diff, merge_entry
from index.durable import exclusive_lock, no_space_is_storage_full, write_atomically
from index.errors import AliasConflict, GlossaryInvalid
from index.review import VERDICTS, load_review, record_verdict, reject_alias, undo_verdict
from index.text import passage_fingerprint
from index.vocabulary import load_glossary
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


def _review_path() -> Path:
    return Path(current_app.config["REVIEW_PATH"])


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
            review = load_review(_review_path())
            after = (
                merge_entry(before, term_id, data["merge"], path.name, review)
                if data.get("merge")
                else add_alias(before, term_id, data["alias"], data["status"], path.name, review)
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
    errors=[Error.NOT_FOUND, Error.INVALID_GLOSSARY],
    write=True,
)
def reject_alias_suggestion() -> Any:
    """Reject a suggestion: recorded in review.yaml beside the glossary, never suggested again."""
    data = parse_json_body(RejectionIn)
    term_or_404(data["term"])
    with _edit_lock(), no_space_is_storage_full("the review file"):
        recorded = reject_alias(current_app.config["REVIEW_PATH"], data["term"], data["alias"], data["by"])
    return {"term": data["term"], "alias": data["alias"], "recorded": recorded}


# -- the review queue: curators' verdicts on a term's matches ---------------------------------------
class VerdictIn(Schema):
    passage = fields.String(required=True, validate=validate.Regexp(r"^.+:\d+$", error="a passage id: <doc>:<n>"))
    verdict = fields.String(required=True, validate=validate.OneOf(sorted(VERDICTS)))
    by = fields.String(load_default="curator", validate=validate.Length(min=1, max=100))


class VerdictOut(Schema):
    term = fields.String(required=True)
    doc = fields.String(required=True)
    fingerprint = fields.String(required=True, metadata={"description": "of the passage's text"})
    verdict = fields.String(required=True, metadata={"enum": sorted(VERDICTS)})
    text = fields.String(allow_none=True, required=True)
    by = fields.String(required=True)
    at = fields.String(allow_none=True, required=True)


class VerdictsOut(Schema):
    term = fields.String(required=True)
    verdicts = fields.List(fields.Nested(VerdictOut), required=True)


def _verdicts(term_id: str) -> list[dict[str, Any]]:
    return load_review(_review_path()).entries(term_id)


@operation(
    bp,
    "/terms/<term_id>/reviews",
    responses={200: VerdictsOut},
    errors=[Error.NOT_FOUND, Error.INVALID_GLOSSARY],
    cached=False,
)
def term_verdicts(term_id: str) -> Any:
    """Curators' verdicts on this term's matches (review.yaml): rejected ones are left out of its usage."""
    term_or_404(term_id)
    return {"term": term_id, "verdicts": _verdicts(term_id)}


@operation(
    bp,
    "/terms/<term_id>/reviews",
    "POST",
    body={"application/json": VerdictIn},
    responses={200: VerdictOut},
    errors=[Error.NOT_FOUND, Error.INVALID_GLOSSARY],
    write=True,
)
def review_match(term_id: str) -> Any:
    """Reject or confirm the term's match in a passage; a rejected one leaves every lookup, count and trend.

    Recorded in review.yaml with the passage's text fingerprint: it survives re-indexing and
    document edits that leave the passage as it was. The background writer re-matches the
    passages the decision changes, like a glossary edit.
    """
    term_or_404(term_id)
    data = parse_json_body(VerdictIn)
    doc_id, _, ordinal = data["passage"].rpartition(":")
    doc = current_store().get_document(doc_id)
    passage = next((p for p in doc.passages if str(p.ordinal) == ordinal), None) if doc else None
    if passage is None:
        raise ApiError(Error.NOT_FOUND, f"no passage {data['passage']!r}")
    fingerprint = passage_fingerprint(passage.text)
    with _edit_lock(), no_space_is_storage_full("the review file"):
        record_verdict(_review_path(), data["verdict"], term_id, doc_id, fingerprint, passage.text, data["by"])
        try:  # the glossary as it will be served: a rejected example sentence of the term is refused
            load_glossary(current_app.config["GLOSSARY_PATH"], review_path=_review_path())
        except GlossaryInvalid as exc:
            undo_verdict(_review_path(), term_id, fingerprint)
            problems = {"problems": [p.as_dict() for p in exc.problems]}
            raise ApiError(
                Error.INVALID_GLOSSARY, "the verdict contradicts the glossary's examples", problems
            ) from None
    return next(v for v in _verdicts(term_id) if v["fingerprint"] == fingerprint)


@operation(
    bp,
    "/terms/<term_id>/reviews/<fingerprint>",
    "DELETE",
    responses={204: None},
    errors=[Error.NOT_FOUND, Error.INVALID_GLOSSARY],
    write=True,
)
def undo_review(term_id: str, fingerprint: str) -> Any:
    """Undo a verdict: a rejected match counts again once the writer has re-matched its passage."""
    term_or_404(term_id)
    with _edit_lock(), no_space_is_storage_full("the review file"):
        if not undo_verdict(_review_path(), term_id, fingerprint):
            raise ApiError(Error.NOT_FOUND, f"no verdict on {term_id!r} for passage {fingerprint!r}")
    return Response(status=204)


@operation(
    bp,
    "/terms/<term_id>/reviews/<fingerprint>/no-match",
    "POST",
    responses={200: EditOut},
    errors=[Error.NOT_FOUND, Error.INVALID_GLOSSARY],
    write=True,
)
def rejection_to_example(term_id: str, fingerprint: str) -> Any:
    """Turn a rejected match into a `no_match` example of the term in glossary.yaml (checked like every example)."""
    term_or_404(term_id)
    rejected = [v for v in _verdicts(term_id) if v["fingerprint"] == fingerprint and v["verdict"] == "reject"]
    if not rejected or not rejected[0]["text"]:
        raise ApiError(Error.NOT_FOUND, f"no rejected match of {term_id!r} in passage {fingerprint!r}")
    path = Path(current_app.config["GLOSSARY_PATH"])
    with _edit_lock():
        before = path.read_text(encoding="utf-8")
        try:
            after = add_no_match(before, term_id, rejected[0]["text"], load_review(_review_path()), path.name)
        except GlossaryInvalid as exc:
            problems = {"problems": [p.as_dict() for p in exc.problems]}
            raise ApiError(Error.INVALID_GLOSSARY, "the example would make the glossary invalid", problems) from None
        if after != before:
            with no_space_is_storage_full("the glossary file"):
                write_atomically(path, after.encode("utf-8"))
    return {"term": term_id, "alias": "", "written": after != before, "diff": diff(before, after, path.name)}
