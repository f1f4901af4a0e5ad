"""Finding glossary terms in text: exact about word edges, generous about word forms.

Every label is expanded once into the forms we accept (plural and possessive of the last
English word, Korean spacing variants), folded like the text, and put in one Aho-Corasick
automaton. A hit counts only when it starts and ends on a word edge; where an edge touches
Hangul (a particle, a compound), Kiwi's morpheme boundaries decide. No stemming: a form is
either generated from a label or it does not match.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import NamedTuple

import ahocorasick

from index import korean
from index.glossary import Label, Term
from index.text import fold, fold_label, is_hangul, plural_forms

RULES = ("exact", "case", "variant", "inflection")
_RULE_RANK = {rule: rank for rank, rule in enumerate(RULES)}
_LAST_WORD = re.compile(r"([A-Za-z0-9]+)$")
_NOT_ALNUM = re.compile(r"[\W_]+")
# How far around a hit Kiwi looks; bounded so that text with no spaces stays linear.
_KIWI_WINDOW = 24


class Match(NamedTuple):
    """One occurrence of a term in a text; start/end index the original text.

    A NamedTuple rather than a frozen dataclass: annotate creates one per hit, and a frozen
    dataclass costs several times more to construct.
    """

    term: str
    start: int
    end: int
    label: str
    rule: str
    lang: str
    label_status: str

    def as_dict(self) -> dict[str, object]:
        return {"term": self.term, "start": self.start, "end": self.end, "label": self.label, "rule": self.rule}


@dataclass(frozen=True)
class _Form:
    term: str
    label: Label
    text: str  # the form as it would be written, e.g. "AI factories"
    inflected: bool


def label_forms(label: Label) -> list[tuple[str, bool]]:
    """(form, inflected) for every way of writing `label` that should match."""
    base = label.text
    forms: list[tuple[str, bool]] = [(base, False)]
    last = _LAST_WORD.search(base)
    if label.lang == "en" and last:
        stem = base[: last.start()]
        plurals = [stem + p for p in plural_forms(last.group(1))]
        forms.extend((p, True) for p in plurals)
        forms.append((base + "'s", True))
        # "twins'" is left out on purpose: a bare trailing apostrophe is more often a closing
        # quote ('digital twins') than a plural possessive, and the plural matches without it.
        forms.extend((p + "'s", True) for p in plurals if not p.endswith("s"))
    if any(is_hangul(ch) for ch in base) and " " in base:
        # Korean writes compounds with or without the inner spaces: 디지털 트윈 / 디지털트윈.
        words = base.split()
        for joins in itertools.product((" ", ""), repeat=min(len(words) - 1, 4)):
            joined = words[0] + "".join(j + w for j, w in zip(joins, words[1:], strict=False))
            if joined != base:
                forms.append((joined, False))
    return forms


def korean_user_words(terms: Iterable[Term]) -> set[str]:
    """The Korean labels Kiwi must never split, with and without their inner spaces."""
    words: set[str] = set()
    for term in terms:
        for label in term.labels:
            if any(is_hangul(ch) for ch in label.text):
                words.update((label.text, label.text.replace(" ", "")))
    return words


def _alnum(text: str) -> str:
    return _NOT_ALNUM.sub("", text)


class Matcher:
    """All terms of a glossary compiled for matching; immutable once built."""

    def __init__(self, terms: Iterable[Term]):
        self._automaton = ahocorasick.Automaton()
        entries: dict[str, list[_Form]] = {}
        terms = list(terms)
        for term in terms:
            for label in term.labels:
                for form, inflected in label_forms(label):
                    entries.setdefault(fold_label(form), []).append(_Form(term.id, label, form, inflected))
        for key, forms in entries.items():
            forms.sort(key=lambda f: f.inflected)  # a label as written beats another's inflection
            cased = any(f.label.case_sensitive for f in forms)
            self._automaton.add_word(key, (len(key), tuple(forms), cased))
        self._empty = not entries
        if not self._empty:
            self._automaton.make_automaton()
        # The caller registers these with the shared analyser (vocabulary.vocabulary_for).
        self.korean_words = frozenset(korean_user_words(terms))

    def match(self, text: str) -> list[Match]:
        """Every term occurrence in `text`, leftmost-longest, without overlaps."""
        if self._empty or not text:
            return []
        folded = fold(text)
        ft = folded.text
        size = len(ft)
        moved = folded.starts is not None or bool(folded.breaks)
        hits: list[Match] = []
        for last, (length, forms, cased) in self._automaton.iter(ft):
            start, end = last - length + 1, last + 1
            # The common case inline: both edges are plainly outside any word.
            glued = (start and ft[start - 1].isalnum()) or (end < size and ft[end].isalnum())
            if glued and not self._edge_ok(ft, start, end):
                continue
            o_start, o_end = folded.original_span(start, end) if moved else (start, end)
            surface = text[o_start:o_end]
            if cased:
                form = next((f for f in forms if not f.label.case_sensitive or _alnum(surface) == _alnum(f.text)), None)
                if form is None:
                    continue
            else:
                form = forms[0]
            hits.append(
                Match(
                    form.term, o_start, o_end, form.label.text, _rule(surface, form), form.label.lang, form.label.status
                )
            )
        return _leftmost_longest(hits)

    def _edge_ok(self, ft: str, start: int, end: int) -> bool:
        needs_kiwi = False
        for inner, outer in ((start, start - 1), (end - 1, end)):
            if outer < 0 or outer >= len(ft) or not ft[outer].isalnum():
                continue
            if not (is_hangul(ft[outer]) or is_hangul(ft[inner])):
                return False  # the hit is part of a longer Latin/digit word
            if outer == start - 1 and end - start == 1:
                return False  # a one-syllable Korean label only counts at a word start
            if outer == end and korean.particle_follows(ft, end):
                continue
            needs_kiwi = True
        if not needs_kiwi:
            return True
        left = max(ft.rfind(" ", 0, start) + 1, start - _KIWI_WINDOW)
        right = ft.find(" ", end)
        right = min(len(ft) if right < 0 else right, end + _KIWI_WINDOW)
        return korean.is_whole_word(ft[left:right], start - left, end - left)


def _rule(surface: str, form: _Form) -> str:
    if form.inflected:
        return "inflection"
    if surface == form.label.text:
        return "exact"
    if surface.lower() == form.label.text.lower():
        return "case"
    return "variant"


def _leftmost_longest(hits: list[Match]) -> list[Match]:
    hits.sort(key=lambda m: (m.start, -(m.end - m.start), _RULE_RANK[m.rule]))
    chosen: list[Match] = []
    reach = -1
    for hit in hits:
        if hit.start >= reach:
            chosen.append(hit)
            reach = hit.end
    return chosen


def match_terms(terms: Iterable[Term], text: str) -> list[Match]:
    """Convenience for one-off use: build a matcher, teach Kiwi its labels, match `text`."""
    matcher = Matcher(terms)
    korean.add_user_words(matcher.korean_words)
    return matcher.match(text)
