"""review.yaml: what curators decided against, kept in git next to the glossary.

    rejected_aliases:
      - term: npu
        alias: NPU
        by: curator
        at: 2026-11-30T06:00:00+00:00

A text file rather than a table: decisions about the vocabulary are reviewed like the
vocabulary, in pull requests, with their history in git, and they survive rebuilding the index
from scratch. It is validated like the glossary (errors name line and field) and written with
its comments and layout kept.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from index.durable import write_atomically
from index.errors import Problem, ReviewInvalid, YamlRejected
from index.glossary import flatten_messages
from index.safe_yaml import line_of, parse_yaml
from index.text import fold_label


class RejectedAlias(Schema):
    class Meta:
        unknown = RAISE

    term = fields.String(required=True, validate=validate.Length(min=1, max=200))
    alias = fields.String(required=True, validate=validate.Length(min=1, max=200))
    by = fields.String(load_default="curator")
    at = fields.String(load_default=None, allow_none=True)


class ReviewFile(Schema):
    class Meta:
        unknown = RAISE

    rejected_aliases = fields.List(fields.Nested(RejectedAlias), load_default=list)


@dataclass(frozen=True)
class Review:
    rejected_aliases: tuple[tuple[str, str], ...] = ()  # (term id, alias)
    version: str = "none"  # changes when the file's content does


def parse_review(text: str, path: str = "review.yaml") -> Review:
    try:
        data, root = parse_yaml(text)
    except YamlRejected as exc:
        raise ReviewInvalid([Problem(path, exc.line, None, None, str(exc), "entry")]) from None
    try:
        loaded = ReviewFile().load(data or {})
    except ValidationError as exc:
        problems = [
            Problem(path, line_of(root, where, key_line=True), None, ".".join(map(str, where)), message, "entry")
            for where, message in flatten_messages(exc.messages, known=("term", "alias", "by", "at"))
        ]
        raise ReviewInvalid(problems) from None
    rejected = tuple((r["term"], r["alias"]) for r in loaded["rejected_aliases"])
    return Review(rejected, hashlib.sha1(text.encode("utf-8")).hexdigest()[:16] if text.strip() else "none")


def load_review(path: str | Path) -> Review:
    """The review file's decisions; a missing file has none."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Review()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewInvalid([Problem(path.name, None, None, None, f"cannot read: {exc}", "entry")]) from None
    return parse_review(text, path.name)


def reject_alias(path: str | Path, term: str, alias: str, by: str = "curator") -> bool:
    """Record that `alias` is not an alias of `term`; False if it was recorded already."""
    from ruamel.yaml import YAML

    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    current = parse_review(text, path.name)
    if (term, fold_label(alias)) in {(t, fold_label(a)) for t, a in current.rejected_aliases}:
        return False
    yaml = YAML()
    yaml.indent(mapping=2, sequence=4, offset=2)
    data: Any = yaml.load(text) if text.strip() else None
    if data is None:
        data = {}
    data.setdefault("rejected_aliases", [])
    data["rejected_aliases"].append(
        {"term": term, "alias": alias, "by": by, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    )
    out = io.StringIO()
    yaml.dump(data, out)
    parse_review(out.getvalue(), path.name)  # what we write must read back
    write_atomically(path, out.getvalue().encode("utf-8"))
    return True
