"""Curators' edits of glossary.yaml: accepting an alias, merging a cross-reference entry.

Written with ruamel.yaml's round trip (comments, order and layout kept, as the CSV import
does) and validated exactly like a hand edit before anything is written; the background
writer then re-matches what the edit changes, like any other glossary edit.
"""

from __future__ import annotations

import difflib
import io
from typing import Any

from index.errors import AliasConflict, NotFound
from index.review import Review, with_review
from index.safe_yaml import round_trip_yaml
from index.text import fold_label
from index.vocabulary import parse_glossary


def _labels_of(entry: Any) -> list[str]:
    found = [str(entry.get("term", ""))]
    for key in ("aliases", "hidden"):
        found += [v if isinstance(v, str) else str(v.get("label", "")) for v in entry.get(key) or []]
    for values in (entry.get("labels") or {}).values():
        found += [v if isinstance(v, str) else str(v.get("label", "")) for v in values or []]
    return found


def add_alias(
    yaml_text: str,
    term_id: str,
    alias: str,
    status: str = "admitted",
    path: str = "glossary.yaml",
    review: Review | None = None,
) -> str:
    """glossary.yaml text with `alias` added to term `term_id` (Hangul: a Korean label);
    unchanged if the term has it. AliasConflict when another term has it; GlossaryInvalid when
    the result would not validate."""
    yaml = round_trip_yaml()
    data = yaml.load(yaml_text)
    terms = data["terms"]
    entry = next((t for t in terms if t.get("id") == term_id), None)
    if entry is None:
        raise NotFound(f"no term {term_id!r}")
    folded = fold_label(alias)
    for other in terms:
        if other is not entry and folded in {fold_label(label) for label in _labels_of(other)}:
            raise AliasConflict(f"{alias!r} is a label of term {other.get('id')!r} already", str(other.get("id")))
    if folded in {fold_label(label) for label in _labels_of(entry)}:
        return yaml_text
    value: Any = alias if status == "admitted" else {"label": alias, "status": status}
    if any("\uac00" <= c <= "\ud7a3" for c in alias):
        labels = entry.setdefault("labels", {})
        labels.setdefault("ko", []).append(value)
    else:
        entry.setdefault("aliases", []).append(value)
    return _checked(yaml, data, path, review)


def merge_entry(
    yaml_text: str, into: str, merged: str, path: str = "glossary.yaml", review: Review | None = None
) -> str:
    """Merge a cross-reference entry into the term it points to: its labels become aliases of
    `into`, the entry is removed, and other terms' relations to it point to `into`."""
    yaml = round_trip_yaml()
    data = yaml.load(yaml_text)
    terms = data["terms"]
    target = next((t for t in terms if t.get("id") == into), None)
    source = next((t for t in terms if t.get("id") == merged), None)
    if target is None or source is None:
        raise NotFound(f"no term {into if target is None else merged!r}")
    terms.remove(source)
    known = {fold_label(label) for label in _labels_of(target)}
    for label in _labels_of(source):
        if fold_label(label) not in known:
            known.add(fold_label(label))
            if any("\uac00" <= c <= "\ud7a3" for c in label):
                target.setdefault("labels", {}).setdefault("ko", []).append(label)
            else:
                target.setdefault("aliases", []).append(label)
    for term in terms:
        for key in ("related", "broader", "narrower"):
            values = term.get(key)
            if values and merged in values:
                kept: list[str] = []
                for value in (into if v == merged else v for v in values):
                    if value != term.get("id") and value not in kept:
                        kept.append(value)
                values[:] = kept  # in place: the list keeps its style in the file
        if term.get("replaced_by") == merged:
            term["replaced_by"] = into
    return _checked(yaml, data, path, review)


def add_no_match(yaml_text: str, term_id: str, sentence: str, review: Review, path: str = "glossary.yaml") -> str:
    """glossary.yaml text with `sentence` (a passage whose match a curator rejected) among the
    term's `examples.no_match`; checked with the curators' rejections, which keep it out."""
    yaml = round_trip_yaml()
    data = yaml.load(yaml_text)
    entry = next((t for t in data["terms"] if t.get("id") == term_id), None)
    if entry is None:
        raise NotFound(f"no term {term_id!r}")
    examples = entry.setdefault("examples", {})
    no_match = examples.setdefault("no_match", [])
    if sentence in no_match:
        return yaml_text
    no_match.append(sentence)
    return _checked(yaml, data, path, review)


def _checked(yaml: Any, data: Any, path: str, review: Review | None = None) -> str:
    out = io.StringIO()
    yaml.dump(data, out)
    text = out.getvalue()
    # Validated like a hand edit (raises GlossaryInvalid), as the service will serve it.
    parse_glossary(with_review(text, review) if review is not None else text, path)
    return text


def diff(before: str, after: str, path: str = "glossary.yaml") -> str:
    return "".join(difflib.unified_diff(before.splitlines(True), after.splitlines(True), f"a/{path}", f"b/{path}"))
