"""review.yaml: what curators decided against, kept in git next to the glossary.

    rejected_aliases:
      - term: npu
        alias: NPU
        by: curator
        at: 2026-11-30T06:00:00+00:00
    rejected_matches:                     # "this 'twin' is a baseball team"
      - term: digital-twin
        doc: news/2025-05-twins
        fingerprint: 3f2a9c0d1e5b7a64   # of the passage's text: survives edits elsewhere
        text: The Twins won again last night.
        by: curator
        at: 2026-11-30T06:00:00+00:00
    confirmed_matches: [...]              # the same fields, for matches a curator checked

Rejected matches are appended to the glossary the service serves (`with_review`), so that the
writer leaves them out of every posting, count and trend, and re-matches what a decision changes.

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

from index.durable import file_signature, write_atomically
from index.errors import Problem, ReviewInvalid, YamlRejected
from index.glossary import flatten_messages
from index.safe_yaml import line_of, parse_yaml, round_trip_yaml
from index.text import fold_label


class RejectedAlias(Schema):
    class Meta:
        unknown = RAISE

    term = fields.String(required=True, validate=validate.Length(min=1, max=200))
    alias = fields.String(required=True, validate=validate.Length(min=1, max=200))
    by = fields.String(load_default="curator")
    at = fields.String(load_default=None, allow_none=True)


class MatchVerdict(Schema):
    class Meta:
        unknown = RAISE

    term = fields.String(required=True, validate=validate.Length(min=1, max=200))
    doc = fields.String(required=True, validate=validate.Length(min=1, max=1000))
    fingerprint = fields.String(required=True, validate=validate.Regexp(r"^[0-9a-f]{16}$"))
    text = fields.String(load_default=None, allow_none=True)
    by = fields.String(load_default="curator")
    at = fields.String(load_default=None, allow_none=True)


class ReviewFile(Schema):
    class Meta:
        unknown = RAISE

    rejected_aliases = fields.List(fields.Nested(RejectedAlias), load_default=list)
    rejected_matches = fields.List(fields.Nested(MatchVerdict), load_default=list)
    confirmed_matches = fields.List(fields.Nested(MatchVerdict), load_default=list)


VERDICTS = {"reject": "rejected_matches", "confirm": "confirmed_matches"}
FIELDS = ("term", "alias", "doc", "fingerprint", "text", "by", "at", *VERDICTS.values(), "rejected_aliases")


@dataclass(frozen=True)
class Review:
    rejected_aliases: tuple[tuple[str, str], ...] = ()  # (term id, alias)
    rejected_matches: tuple[dict[str, Any], ...] = ()
    confirmed_matches: tuple[dict[str, Any], ...] = ()
    version: str = "none"  # changes when the file's content does

    def entries(self, term_id: str) -> list[dict[str, Any]]:
        """One term's verdicts, each with its `verdict` ("reject" or "confirm")."""
        found = []
        for verdict, entries in (("reject", self.rejected_matches), ("confirm", self.confirmed_matches)):
            for e in entries:
                if e["term"] == term_id:
                    found.append({"term": term_id, "doc": e["doc"], "fingerprint": e["fingerprint"],
                                  "verdict": verdict, "text": e.get("text"), "by": e.get("by") or "curator",
                                  "at": e.get("at")})  # fmt: skip
        return found


def with_review(glossary_text: str, review: Review) -> str:
    """The glossary text the service serves: the file's, plus the rejected matches (term and
    fingerprint only, sorted: who and when do not change what matches)."""
    pairs = sorted({(m["term"], m["fingerprint"]) for m in review.rejected_matches})
    if not pairs:
        return glossary_text
    lines = [f"  - {{term: {t}, fingerprint: '{f}'}}" for t, f in pairs]
    return glossary_text.rstrip("\n") + "\n# appended from review.yaml\nrejected_matches:\n" + "\n".join(lines) + "\n"


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
            for where, message in flatten_messages(
                exc.messages, known=("term", "alias", "doc", "fingerprint", "by", "at")
            )
        ]
        raise ReviewInvalid(problems) from None
    rejected = tuple((r["term"], r["alias"]) for r in loaded["rejected_aliases"])
    version = hashlib.sha1(text.encode("utf-8")).hexdigest()[:16] if text.strip() else "none"
    return Review(rejected, tuple(loaded["rejected_matches"]), tuple(loaded["confirmed_matches"]), version)


_loaded: dict[Path, tuple[tuple[int, ...] | None, Review | list[Problem]]] = {}


def load_review(path: str | Path) -> Review:
    """The review file's decisions; a missing file has none. Parsed again only when the file
    changed: the writer asks every half second, and every term page asks too."""
    path = Path(path)
    signature = file_signature(path)
    cached = _loaded.get(path)
    if cached is None or cached[0] != signature:
        try:
            cached = (signature, _read_review(path))
        except ReviewInvalid as exc:
            cached = (signature, exc.problems)
        _loaded[path] = cached
    if isinstance(cached[1], Review):
        return cached[1]
    raise ReviewInvalid(cached[1])


def _read_review(path: Path) -> Review:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return Review()
    except (OSError, UnicodeDecodeError) as exc:
        raise ReviewInvalid([Problem(path.name, None, None, None, f"cannot read: {exc}", "entry")]) from None
    return parse_review(text, path.name)


def reject_alias(path: str | Path, term: str, alias: str, by: str = "curator") -> bool:
    """Record that `alias` is not an alias of `term`; False if it was recorded already."""
    path = Path(path)
    current = parse_review(path.read_text(encoding="utf-8") if path.exists() else "", path.name)
    if (term, fold_label(alias)) in {(t, fold_label(a)) for t, a in current.rejected_aliases}:
        return False
    entry = {"term": term, "alias": alias, "by": by, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    _edit(path, lambda data: data.setdefault("rejected_aliases", []).append(entry))
    return True


def record_verdict(
    path: str | Path, verdict: str, term: str, doc: str, fingerprint: str, text: str, by: str = "curator"
) -> None:
    """Record a curator's verdict on a term's match in one passage (replacing an earlier one)."""
    _edit(path, lambda data: _set_verdict(data, verdict, term, doc, fingerprint, text, by))


def undo_verdict(path: str | Path, term: str, fingerprint: str) -> bool:
    """Forget the verdict on a term's match in a passage; False if there was none."""
    removed = []
    _edit(path, lambda data: removed.append(_drop(data, term, fingerprint)))
    return any(removed)


def _set_verdict(data: Any, verdict: str, term: str, doc: str, fingerprint: str, text: str, by: str) -> None:
    _drop(data, term, fingerprint)
    entry = {"term": term, "doc": doc, "fingerprint": fingerprint, "text": text, "by": by}
    entry["at"] = datetime.now(UTC).isoformat(timespec="seconds")
    data.setdefault(VERDICTS[verdict], []).append(entry)


def _drop(data: Any, term: str, fingerprint: str) -> bool:
    dropped = False
    for key in VERDICTS.values():
        entries = data.get(key) or []
        kept = [e for e in entries if not (e.get("term") == term and e.get("fingerprint") == fingerprint)]
        if len(kept) != len(entries):
            entries[:] = kept
            dropped = True
    return dropped


def _edit(path: str | Path, change: Any) -> None:
    path = Path(path)
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    parse_review(text, path.name)
    yaml = round_trip_yaml()
    data: Any = (yaml.load(text) if text.strip() else None) or {}
    change(data)
    out = io.StringIO()
    yaml.dump(data, out)
    parse_review(out.getvalue(), path.name)  # what we write must read back
    write_atomically(path, out.getvalue().encode("utf-8"))
