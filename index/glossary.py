"""The glossary: terms read from glossary.yaml, validated, and checked as a whole."""

from __future__ import annotations

import difflib
import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from marshmallow import ValidationError

from index.errors import GlossaryInvalid, Problem, YamlRejected
from index.safe_yaml import DEFAULT_MAX_BYTES, line_of, parse_yaml
from index.schema import KNOWN_FIELDS, GlossaryFileSchema, TermSchema
from index.text import fold_label

LABEL_KIND_ORDER = {"preferred": 0, "alternative": 1, "hidden": 2}


@dataclass(frozen=True)
class Label:
    """One way of writing a term: SKOS pref/alt/hidden label with a termbase status."""

    text: str
    lang: str
    kind: str  # preferred | alternative | hidden
    status: str  # preferred | admitted | deprecated
    case_sensitive: bool = False


@dataclass(frozen=True)
class Source:
    title: str
    url: str | None = None


@dataclass(frozen=True)
class Term:
    """A validated glossary entry."""

    id: str
    preferred: str  # the preferred label (the file's `term:` field)
    definition: str
    labels: tuple[Label, ...]
    notes: str | None = None
    sources: tuple[Source, ...] = ()
    related: tuple[str, ...] = ()
    broader: tuple[str, ...] = ()
    narrower: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    status: str = "approved"
    replaced_by: str | None = None
    examples_match: tuple[str, ...] = ()
    examples_no_match: tuple[str, ...] = ()
    line: int | None = None

    @property
    def languages(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(label.lang for label in self.labels))

    def visible_labels(self) -> tuple[Label, ...]:
        """Labels that may be shown to people (hidden ones are matched, never shown)."""
        return tuple(label for label in self.labels if label.kind != "hidden")


@dataclass(frozen=True)
class Glossary:
    """All terms of one glossary file, at one version."""

    terms: tuple[Term, ...]
    version: str
    path: str = "glossary.yaml"
    text: str = field(default="", compare=False, repr=False)  # the YAML it was parsed from
    by_id: dict[str, Term] = field(default_factory=dict, compare=False, repr=False)
    # Matches curators rejected (review.yaml): (term id, fingerprint of the passage's text).
    rejected: frozenset[tuple[str, str]] = field(default=frozenset(), compare=False)

    def __post_init__(self) -> None:
        self.by_id.update({t.id: t for t in self.terms})

    def __iter__(self) -> Iterator[Term]:
        return iter(self.terms)

    def __len__(self) -> int:
        return len(self.terms)

    def get(self, term_id: str) -> Term | None:
        return self.by_id.get(term_id)


def _labels_of(data: dict[str, Any]) -> tuple[Label, ...]:
    labels = [Label(data["term"], "en", "preferred", "preferred")]
    for entry in data["aliases"]:
        labels.append(_label(entry, "en", "alternative"))
    for entry in data["hidden"]:
        labels.append(_label(entry, "en", "hidden"))
    for lang, entries in data["labels"].items():
        for position, entry in enumerate(entries):
            labels.append(_label(entry, lang, "preferred" if position == 0 else "alternative"))
    return tuple(labels)


def _label(entry: dict[str, Any], lang: str, kind: str) -> Label:
    default_status = "preferred" if kind == "preferred" else "admitted"
    return Label(
        entry["label"].strip(), lang, kind, entry.get("status", default_status), entry.get("case_sensitive", False)
    )


def _term_from(data: dict[str, Any], line: int | None) -> Term:
    return Term(
        id=data["id"],
        preferred=data["term"].strip(),
        definition=data["definition"].strip(),
        labels=_labels_of(data),
        notes=data.get("notes"),
        sources=tuple(Source(s["title"], s.get("url")) for s in data["sources"]),
        related=tuple(data["related"]),
        broader=tuple(data["broader"]),
        narrower=tuple(data["narrower"]),
        tags=tuple(data["tags"]),
        status=data["status"],
        replaced_by=data.get("replaced_by"),
        examples_match=tuple(data["examples"]["match"]),
        examples_no_match=tuple(data["examples"]["no_match"]),
        line=line,
    )


def flatten_messages(
    messages: Any, path: tuple[Any, ...] = (), known: Iterable[str] = KNOWN_FIELDS
) -> Iterator[tuple[tuple[Any, ...], str]]:
    """marshmallow's nested error dict as (path, message) pairs; an unknown field that is close
    to a `known` one says which it may have meant."""
    if isinstance(messages, dict):
        for key, value in messages.items():
            # Dict fields nest errors under "value"/"key"; they are not part of the YAML path.
            yield from flatten_messages(value, path if key in ("value", "key") and path else path + (key,), known)
    elif isinstance(messages, list):
        for message in messages:
            yield from flatten_messages(message, path, known)
    else:
        message = str(messages)
        if message == "Unknown field." and path:
            near = difflib.get_close_matches(str(path[-1]), list(known), n=1, cutoff=0.7)
            if near:
                message = f"Unknown field; did you mean `{near[0]}`?"
        yield path, message


def parse_terms(text: str, path: str = "glossary.yaml") -> Glossary:
    """Validate glossary text (shape, ids, labels, relations); raise GlossaryInvalid listing
    every problem at once. The example sentences need a matcher: `vocabulary.parse_glossary`."""
    try:
        data, root = parse_yaml(text)
    except YamlRejected as exc:
        raise GlossaryInvalid([Problem(path, exc.line, None, None, str(exc))]) from None
    if data is None:
        data = {}
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise GlossaryInvalid([Problem(path, 1, None, None, "the file must be a mapping with a `terms:` list")])
    try:
        GlossaryFileSchema().load(data)
    except ValidationError as exc:
        for field_path, message in flatten_messages(exc.messages):
            problems.append(
                Problem(path, line_of(root, field_path, key_line=True), None, ".".join(map(str, field_path)), message)
            )
        raise GlossaryInvalid(problems) from None
    terms: list[Term] = []
    for index, raw in enumerate(data["terms"]):
        term_path: tuple[Any, ...] = ("terms", index)
        term_id = raw.get("id") if isinstance(raw, dict) else None
        term_id = term_id if isinstance(term_id, str) else f"#{index + 1}"
        if not isinstance(raw, dict):
            problems.append(Problem(path, line_of(root, term_path), term_id, None, "a term must be a mapping"))
            continue
        try:
            loaded = TermSchema().load(raw)
        except ValidationError as exc:
            for field_path, message in flatten_messages(exc.messages):
                where = term_path + field_path
                problems.append(
                    Problem(
                        path,
                        line_of(root, where, key_line=len(field_path) == 1),
                        term_id,
                        ".".join(map(str, field_path)),
                        message,
                    )
                )
            continue
        terms.append(_term_from(loaded, line_of(root, term_path)))
    problems.extend(_duplicate_ids(data["terms"], path, root))
    problems.extend(_check_whole(terms, path, root, data["terms"]))
    if problems:
        raise GlossaryInvalid(sorted(problems, key=lambda p: p.line or 0))
    rejected, found = _rejected_matches(data.get("rejected_matches") or [], {t.id for t in terms}, path, root)
    if found:
        raise GlossaryInvalid(found)
    return Glossary(tuple(terms), glossary_version(text), path, text=text, rejected=rejected)


def _rejected_matches(
    entries: list[Any], term_ids: set[str], path: str, root: Any
) -> tuple[frozenset[tuple[str, str]], list[Problem]]:
    """The rejected matches appended from review.yaml (see index/review.py), checked."""
    rejected, problems = set(), []
    for i, entry in enumerate(entries):
        where = line_of(root, ("rejected_matches", i))
        if not isinstance(entry, dict) or not isinstance(entry.get("fingerprint"), str):
            problems.append(Problem(path, where, None, "rejected_matches", "needs a term and a fingerprint"))
        elif entry.get("term") not in term_ids:
            problems.append(Problem(path, where, str(entry.get("term")), "rejected_matches", "no such term"))
        else:
            rejected.add((entry["term"], entry["fingerprint"]))
    return frozenset(rejected), problems


def glossary_version(text: str) -> str:
    """A glossary's version: the hash of its text."""
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _duplicate_ids(raw_terms: list[Any], path: str, root: Any) -> Iterator[Problem]:
    """Every id used twice, read from the raw entries: found even when an entry has other problems."""
    first_line: dict[str, int | None] = {}
    for position, raw in enumerate(raw_terms):
        term_id = raw.get("id") if isinstance(raw, dict) else None
        if not isinstance(term_id, str):
            continue
        line = line_of(root, ("terms", position))
        if term_id in first_line:
            yield Problem(path, line, term_id, "id", f"duplicate id (first used on line {first_line[term_id]})")
        else:
            first_line[term_id] = line


def _check_whole(terms: list[Term], path: str, root: Any, raw_terms: list[Any]) -> list[Problem]:
    """Checks that need every term: unique ids and labels, relations that resolve."""
    problems: list[Problem] = []
    position = {id(t): i for i, t in enumerate(terms)}
    raw_index = {r.get("id"): i for i, r in enumerate(raw_terms) if isinstance(r, dict)}

    def where(term: Term, field_name: str) -> int | None:
        return line_of(root, ("terms", raw_index.get(term.id, position[id(term)]), field_name), key_line=True)

    seen_ids = {t.id for t in terms}
    owner: dict[str, Term] = {}
    for term in terms:
        for label in term.labels:
            key = fold_label(label.text)
            other = owner.setdefault(key, term)
            if other is not term:
                problems.append(
                    Problem(
                        path, term.line, term.id, "labels", f"label {label.text!r} is also a label of term {other.id!r}"
                    )
                )
    for term in terms:
        for field_name in ("related", "broader", "narrower"):
            for target in getattr(term, field_name):
                if target not in seen_ids:
                    problems.append(
                        Problem(path, where(term, field_name), term.id, field_name, f"unknown term id {target!r}")
                    )
                elif target == term.id:
                    problems.append(
                        Problem(path, where(term, field_name), term.id, field_name, "a term cannot point at itself")
                    )
        if term.replaced_by and term.replaced_by not in seen_ids:
            problems.append(
                Problem(
                    path, where(term, "replaced_by"), term.id, "replaced_by", f"unknown term id {term.replaced_by!r}"
                )
            )
    return problems


def read_glossary_text(path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES) -> str:
    """A glossary file's text: size-capped and UTF-8, or GlossaryInvalid."""
    path = Path(path)
    name = str(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise GlossaryInvalid(
                [Problem(name, None, None, None, f"file is larger than the limit of {max_bytes} bytes")]
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise GlossaryInvalid([Problem(name, None, None, None, f"cannot read: {exc.strerror}")]) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise GlossaryInvalid([Problem(name, None, None, None, f"not UTF-8 (byte {exc.start})")]) from None
