"""The glossary file itself: its git history, changes since a point, export and CSV import."""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, fields, validate

from index.durable import no_space_is_storage_full, write_atomically
from index.errors import GlossaryInvalid, HistoryUnavailable
from index.export import csv_import_diff, to_csv, to_skos
from index.history import changes_since, term_history
from index.review import load_review
from service.api.common import term_or_404
from service.api.contract import operation
from service.errors import ApiError, Error
from service.state import current_store

bp = Blueprint("glossary_file", __name__, url_prefix="/api")
T = TypeVar("T")


class ChangesArgs(Schema):
    since = fields.String(
        required=True,
        validate=validate.Regexp(
            r"^(\d{4}-\d{2}-\d{2}|[0-9a-fA-F]{4,40}|HEAD(~\d+)?)$", error="a date like 2025-05-22 or a commit"
        ),
    )


class ExportArgs(Schema):
    format = fields.String(load_default="csv", validate=validate.OneOf(["csv", "skos"]))
    syntax = fields.String(load_default="turtle", validate=validate.OneOf(["turtle", "json-ld"]))


class ImportArgs(Schema):
    dry_run = fields.Boolean(load_default=True)


class CommitOut(Schema):
    sha = fields.String(required=True)
    author = fields.String(required=True)
    date = fields.String(required=True)
    message = fields.String(required=True)


class ChangeOut(Schema):
    commit = fields.Nested(CommitOut, required=True)
    kind = fields.String(required=True, metadata={"enum": ["added", "changed", "removed"]})
    fields_changed = fields.List(fields.String(), required=True, data_key="fields")
    before = fields.Dict(allow_none=True, required=True)
    after = fields.Dict(allow_none=True, required=True)


class HistoryOut(Schema):
    term = fields.String(required=True)
    changes = fields.List(fields.Nested(ChangeOut), required=True)


class ChangesOut(Schema):
    since = fields.String(required=True)
    base = fields.String(allow_none=True, required=True)
    added = fields.List(fields.String(), required=True)
    changed = fields.List(fields.String(), required=True)
    removed = fields.List(fields.String(), required=True)


class ImportOut(Schema):
    dry_run = fields.Boolean(required=True)
    diff = fields.String(required=True)
    written = fields.Boolean(required=True)


def _path() -> Path:
    return Path(current_app.config["GLOSSARY_PATH"])


def _from_git(read: Callable[[Path, str], T], arg: str, failure: str) -> T:
    """What git's history of the glossary file says, or a 404 `no_history`."""
    try:
        return read(_path(), arg)
    except HistoryUnavailable as exc:
        raise ApiError(Error.NO_HISTORY, f"{failure}: {exc}") from None


@operation(bp, "/terms/<term_id>/history", responses={200: HistoryOut}, errors=[Error.NOT_FOUND, Error.NO_HISTORY])
def history(term_id: str) -> Any:
    """Commits that changed a term (git), with before/after of its fields."""
    term_or_404(term_id)
    changes = _from_git(term_history, term_id, failure="the glossary has no git history")
    return {
        "term": term_id,
        "changes": [
            {
                "commit": {
                    "sha": c.commit.sha,
                    "author": c.commit.author,
                    "date": c.commit.date,
                    "message": c.commit.message,
                },
                "kind": c.kind,
                "fields": list(c.fields),
                "before": c.before,
                "after": c.after,
            }
            for c in changes
        ],
    }


@operation(bp, "/changes", args=ChangesArgs, responses={200: ChangesOut}, errors=[Error.NO_HISTORY])
def changes(args: dict[str, Any]) -> Any:
    """Terms added, changed or removed since a date or a commit."""
    since = args["since"]
    found = _from_git(changes_since, since, failure=f"no glossary version to compare with at {since!r}")
    return {
        "since": since,
        "base": found["base"][0] if found["base"] else None,
        "added": found["added"],
        "changed": found["changed"],
        "removed": found["removed"],
    }


@operation(
    bp,
    "/export",
    args=ExportArgs,
    responses={200: None},
    content={
        "text/csv": {"type": "string"},
        "text/turtle": {"type": "string"},
        "application/ld+json": {"type": "array", "items": {"type": "object"}},
    },
)
def export(args: dict[str, Any]) -> Any:
    """The glossary as CSV, or as SKOS in Turtle or JSON-LD."""
    glossary = current_store().glossary
    if args["format"] == "csv":
        return Response(
            to_csv(glossary), mimetype="text/csv", headers={"Content-Disposition": "attachment; filename=glossary.csv"}
        )
    body = to_skos(glossary, current_app.config["BASE_URI"], args["syntax"])
    mimetype = "application/ld+json" if args["syntax"] == "json-ld" else "text/turtle"
    return Response(body, mimetype=mimetype)


@operation(
    bp,
    "/import",
    "POST",
    args=ImportArgs,
    body={"text/csv": None},
    responses={200: ImportOut},
    errors=[Error.BAD_TEXT, Error.BAD_CSV, Error.INVALID_GLOSSARY],
    write=True,
)
def import_csv(args: dict[str, Any]) -> Any:
    """Apply a CSV to glossary.yaml (dry run by default: shows the diff; otherwise it writes)."""
    if request.mimetype != "text/csv":
        raise ApiError(Error.UNSUPPORTED_MEDIA_TYPE, "send the CSV as text/csv")
    try:
        csv_text = request.get_data().decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(Error.BAD_TEXT, "the CSV is not UTF-8") from None
    path = _path()
    try:
        review = load_review(current_app.config["REVIEW_PATH"])
        new_text, diff = csv_import_diff(path.read_text(encoding="utf-8"), csv_text, path.name, review)
    except GlossaryInvalid as exc:
        raise ApiError(
            Error.INVALID_GLOSSARY,
            "the import would make the glossary invalid",
            {"problems": [p.as_dict() for p in exc.problems]},
        ) from None
    except (KeyError, ValueError, TypeError, csv.Error) as exc:
        raise ApiError(Error.BAD_CSV, f"the CSV cannot be applied: {exc}") from None
    written = False
    if not args["dry_run"] and diff:
        with no_space_is_storage_full("the glossary file"):
            write_atomically(path, new_text.encode("utf-8"))
        written = True
    return {"dry_run": args["dry_run"], "diff": diff, "written": written}
