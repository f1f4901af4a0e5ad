"""Everything derived from one glossary version, built once per version and shared in a process.

The writer needs the matcher of the glossary an index was matched with; readers need lookup
tables and the matcher for annotate. Both ask here by version, so that a process builds each
at most once, and holds only the few versions that are in use.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from index import korean
from index.errors import GlossaryInvalid, Problem
from index.glossary import (
    LABEL_KIND_ORDER,
    Glossary,
    Label,
    Term,
    glossary_version,
    parse_terms,
    read_glossary_text,
)
from index.matcher import Matcher, korean_user_words, label_forms
from index.postings import without_rejected
from index.safe_yaml import DEFAULT_MAX_BYTES
from index.text import fold, fold_label, query_keys

_KEEP = 4  # versions held per process: the served one, the one being applied, a spare
_lock = threading.Lock()
_glossaries: OrderedDict[str, Glossary] = OrderedDict()
_vocabularies: OrderedDict[str, Vocabulary] = OrderedDict()


@dataclass
class Vocabulary:
    """A glossary with its matcher and label tables."""

    glossary: Glossary
    matcher: Matcher
    exact: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    caseless: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    folded: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    prefixes: list[tuple[str, int, int, str, str]] = field(default_factory=list)


def _remember(cache: OrderedDict[str, object], key: str, value: object) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _KEEP:
        cache.popitem(last=False)


def glossary_from_text(text: str, path: str = "glossary.yaml", version: str | None = None) -> Glossary:
    """A glossary from its text, parsed once per version (one stored with an index was validated
    when it was stored, so its example sentences are not checked again)."""
    version = version or glossary_version(text)
    with _lock:
        found = _glossaries.get(version)
    if found is None:
        found = parse_terms(text, path)
        with _lock:
            _remember(_glossaries, version, found)  # type: ignore[arg-type]
    return found


def load_glossary(
    path: str | Path, max_bytes: int = DEFAULT_MAX_BYTES, review_path: str | Path | None = None
) -> Glossary:
    """Read and validate a glossary file, example sentences included; with `review_path`, the
    curators' rejected matches are served with it (index/review.py)."""
    text = read_glossary_text(path, max_bytes)
    if review_path is not None:
        from index.review import load_review, with_review

        text = with_review(text, load_review(review_path))
    return parse_glossary(text, str(path))


def parse_glossary(text: str, path: str = "glossary.yaml") -> Glossary:
    """Validate glossary text as a hand edit is validated: every problem at once, the example
    sentences checked with the matcher this version is served with (built once, kept)."""
    glossary = glossary_from_text(text, path)
    problems = check_examples_of(glossary)
    if problems:
        raise GlossaryInvalid(problems)
    return glossary


def vocabulary_for(glossary: Glossary) -> Vocabulary:
    with _lock:
        found = _vocabularies.get(glossary.version)
    if found is None:
        found = _build(glossary)
        with _lock:
            _remember(_vocabularies, glossary.version, found)  # type: ignore[arg-type]
    return found


def matcher_for(glossary: Glossary) -> Matcher:
    return vocabulary_for(glossary).matcher


def _build(glossary: Glossary) -> Vocabulary:
    # Kiwi is shared by the process: it must know every label it may be asked to keep whole, and
    # know them before the matcher's first use loads it (else it loads twice, the second time in
    # a background thread that competes with the writer's work for the interpreter).
    korean.add_user_words(korean_user_words(glossary.terms))
    vocab = Vocabulary(glossary, Matcher(glossary.terms))
    by_term: dict[str, set[str]] = {}
    for term_id, fingerprint in glossary.rejected:
        by_term.setdefault(term_id, set()).add(fingerprint)
    vocab.matcher.rejected = {t: frozenset(f) for t, f in by_term.items()}
    for term in glossary.terms:
        for label in sorted(term.labels, key=lambda lb: LABEL_KIND_ORDER[lb.kind]):
            vocab.exact.setdefault(label.text, (term, label))
            vocab.caseless.setdefault(label.text.casefold(), (term, label))
            key = fold_label(label.text)
            vocab.folded.setdefault(key, (term, label))
            shown = term.preferred if label.kind == "hidden" else label.text
            starts = [0] + [m.end() for m in re.finditer(r" ", key)]
            for start in starts:
                vocab.prefixes.append(
                    (key[start:], 0 if start == 0 else 1, LABEL_KIND_ORDER[label.kind], term.id, shown)
                )
    vocab.prefixes.sort()
    return vocab


def check_examples_of(glossary: Glossary) -> list[Problem]:
    """Every `examples.match` sentence must match its term, every `no_match` must not."""
    matcher = matcher_for(glossary)
    problems = []
    for term in glossary.terms:
        for sentence in term.examples_match:
            if not any(
                m.term == term.id for m in without_rejected(matcher.match(sentence), sentence, matcher.rejected)
            ):
                problems.append(
                    Problem(
                        glossary.path,
                        term.line,
                        term.id,
                        "examples.match",
                        f"sentence does not match the term: {sentence!r}",
                    )
                )
        for sentence in term.examples_no_match:
            # A no_match example may be a passage whose match a curator rejected: kept out the same way.
            found = [
                m for m in without_rejected(matcher.match(sentence), sentence, matcher.rejected) if m.term == term.id
            ]
            if found:
                problems.append(
                    Problem(
                        glossary.path,
                        term.line,
                        term.id,
                        "examples.no_match",
                        f"sentence matches the term at {sentence[found[0].start : found[0].end]!r}: {sentence!r}",
                    )
                )
    return problems


# -- what a glossary edit can change -----------------------------------------------------------
def _labels(terms: Iterable[Term]) -> dict[tuple[str, str, bool, str, str], Label]:
    return {(t.id, lb.text, lb.case_sensitive, lb.status, lb.lang): lb for t in terms for lb in t.labels}


@dataclass(frozen=True)
class EditPlan:
    """Where a glossary edit can change matches.

    A passage's matches change only where a label that was added, removed or changed occurs:
    elsewhere the matcher finds exactly the same forms, so the same hits win. `key_sets` find
    the candidate documents through the index's word keys; `words` (the first word of every form
    of those labels, folded) tell, passage by passage, which ones to match again. No key sets:
    everything may change (no previous glossary, other matching rules, a label without words).
    """

    key_sets: list[list[str]] | None
    words: tuple[str, ...] = ()

    def may_change(self, text: str) -> bool:
        if self.key_sets is None:
            return True
        folded = fold(text).text
        return any(word in folded for word in self.words)


def plan_edit(old: Glossary | None, new: Glossary) -> EditPlan:
    if old is None:
        return EditPlan(None)
    before, after = _labels(old.terms), _labels(new.terms)
    changed = [before.get(k) or after[k] for k in before.keys() ^ after.keys()]
    # A rejected match added or undone: the term's passages that use it are matched again.
    reviewed = {term_id for term_id, _ in old.rejected ^ new.rejected}
    changed += [lb for t in new.terms if t.id in reviewed for lb in t.labels]
    key_sets = [query_keys(label.text) for label in changed]
    words = {fold_label(form).split(" ")[0] for label in changed for form, _ in label_forms(label)}
    if any(not ks for ks in key_sets) or not all(words):
        return EditPlan(None)  # a label without word keys (punctuation only) cannot narrow the search
    return EditPlan(key_sets, tuple(sorted(words)))
