"""Finding glossary terms in text: exact about word edges, generous about word forms.

Every label is expanded once into the forms we accept (plural and possessive of the last
English word, Korean spacing variants both ways), folded like the text, and put in an
Aho-Corasick automaton. The rules a hit must pass (README, "Matching"):

- **Word edges.** A hit starts and ends on a word edge; letters, digits and `_` are word
  characters. Where an edge touches Hangul (a particle, an ending, a compound), the particle and
  ending lists or Kiwi's morpheme boundaries decide.
- **Punctuation that is part of a label counts** (`C++`, `.NET`, `__init__`, `>>>`): such a
  label matches only where its punctuation is, never the bare word, and never inside a longer
  run of the same punctuation. Hyphens, dashes and spaces inside ordinary labels are variants.
- **Code is not prose.** A hit inside an identifier or a path is not a use: snake_case
  (`get_digital_twins`), dotted names (`vendor.models.Foundation`), paths (`src/ai_factory/`),
  URLs, Train-Case header names (`Content-Type`) and Markdown inline code (`` `gpu_count` ``),
  unless the label itself is written that way.
- **Every term whose label occurs is found**, nested and overlapping ones too ("GPU cluster"
  uses *GPU cluster* and *GPU*); a hit inside a longer hit of another term says `nested`.
  `leftmost_longest` gives the non-overlapping view that annotate shows by default.

No stemming: a form is either generated from a label or it does not match.
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
from index.text import Folded, fold, fold_label, is_hangul, plural_forms

RULES = ("exact", "case", "variant", "inflection")
_RULE_RANK = {rule: rank for rank, rule in enumerate(RULES)}
_LAST_WORD = re.compile(r"([A-Za-z0-9]+)$")
_NOT_ALNUM = re.compile(r"[\W_]+")
# How far around a hit Kiwi looks; bounded so that text with no spaces stays linear.
_KIWI_WINDOW = 24
# In the "word text" every character that is not a word character is a space, one for one,
# so that a key written " gpu" can only hit at the start of a word.
_NON_WORD = re.compile(r"[^\w]")
_ASCII_WORD_TEXT = bytes(b if (chr(b).isalnum() or b == ord("_")) else ord(" ") for b in range(128)) + bytes(
    range(128, 256)
)
# Characters that, right before or after a hit, may make it part of code (checked further).
_CODE_MARKS = frozenset("._/\\-‐‑–:@#`~+=$%&|")
_TOKEN_BREAKS = frozenset(" \t\n\r()[]{}<>,;!?\"'“”‘’«»")
_TRAIN_CASE = re.compile(r"^[A-Z][a-z0-9]+(?:-[A-Z][a-z0-9]+)+$")
_ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?$")  # e.g, i.e., U.S.
_INLINE_CODE = re.compile(r"`[^`\n]+`")


class Match(NamedTuple):
    """One occurrence of a term in a text; start/end index the original text.

    A NamedTuple rather than a frozen dataclass: annotate creates one per hit, and a frozen
    dataclass costs several times more to construct.
    """

    term: str  # the term's id
    start: int
    end: int
    label: str
    rule: str
    lang: str
    label_status: str
    nested: bool = False  # inside a longer match of another term

    def as_dict(self) -> dict[str, object]:
        return {
            "term": self.term,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "rule": self.rule,
            "nested": self.nested,
        }


@dataclass(frozen=True)
class _Form:
    term: str
    label: Label
    text: str  # the form as it would be written, e.g. "AI factories"
    inflected: bool


class _Entry(NamedTuple):
    length: int  # of the key in the scanned text
    forms: tuple[_Form, ...]
    cased: bool  # some form is case-sensitive
    word_start: bool  # the key begins with the sentinel space: the hit starts a word
    ends_hangul: bool
    punct: str  # the label's own leading/trailing punctuation (punctuation keys only)
    apostrophe: str  # the folded form, when it has an apostrophe the word text turned into a space


def _atoms(word: str) -> list[str]:
    """A Hangul word split into the nouns it is compounded of (the word itself if none)."""
    if len(word) < 3 or not all(is_hangul(ch) for ch in word):
        return [word]
    return list(korean.compound_parts(word) or [word])


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
    if any(is_hangul(ch) for ch in base):
        # Korean writes compounds with or without the inner spaces, both ways: 디지털 트윈 /
        # 디지털트윈, and 데이터센터 / 데이터 센터 (the analyser says where a solid word splits).
        atoms = [atom for word in base.split() for atom in _atoms(word)]
        joins_wanted = min(len(atoms) - 1, 5)  # at most 32 spellings
        for joins in itertools.product((" ", ""), repeat=joins_wanted):
            joined = atoms[0] + "".join(j + a for j, a in zip(joins, atoms[1 : joins_wanted + 1], strict=True))
            joined += "".join(" " + a for a in atoms[joins_wanted + 1 :])
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


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def _word_text(folded: str) -> str:
    if folded.isascii():
        return folded.encode("ascii").translate(_ASCII_WORD_TEXT).decode("ascii")
    return _NON_WORD.sub(" ", folded)


def _edge_punct(key: str) -> str:
    """The punctuation a label begins or ends with ('' for ordinary labels)."""
    out = ""
    if key and not _is_word_char(key[0]):
        out += key[0]
    if key and not _is_word_char(key[-1]):
        out += key[-1]
    return out


class Matcher:
    """All terms of a glossary compiled for matching; immutable once built."""

    def __init__(self, terms: Iterable[Term]):
        terms = list(terms)
        words: dict[str, list[_Form]] = {}  # keys in the word text
        puncts: dict[str, list[_Form]] = {}  # keys whose punctuation matters, in the folded text
        for term in terms:
            for label in term.labels:
                for form, inflected in label_forms(label):
                    key = fold_label(form)
                    if not key:
                        continue
                    entry = _Form(term.id, label, form, inflected)
                    if all(_is_word_char(ch) or ch in " '" for ch in key):
                        words.setdefault(key, []).append(entry)
                    else:
                        puncts.setdefault(key, []).append(entry)
        self._words = self._automaton(words, word_keys=True)
        self._puncts = self._automaton(puncts, word_keys=False)
        # The caller registers these with the shared analyser (vocabulary.vocabulary_for).
        self.korean_words = frozenset(korean_user_words(terms))

    @staticmethod
    def _automaton(entries: dict[str, list[_Form]], word_keys: bool) -> ahocorasick.Automaton | None:
        if not entries:
            return None
        automaton = ahocorasick.Automaton()
        for folded, forms in entries.items():
            forms.sort(key=lambda f: f.inflected)  # a label as written beats another's inflection
            cased = any(f.label.case_sensitive for f in forms)
            ends_hangul = is_hangul(folded[-1])
            if word_keys:
                # "moore's law" is scanned as "moore s law"; the hit is then checked for the apostrophe.
                key, apostrophe = _word_text(folded), folded if "'" in folded else ""
                start = not is_hangul(key[0])
                if start:
                    key = " " + key  # a hit must start a word: the scanned text begins with a space
                automaton.add_word(key, _Entry(len(key), tuple(forms), cased, start, ends_hangul, "", apostrophe))
            else:
                entry = _Entry(len(folded), tuple(forms), cased, False, ends_hangul, _edge_punct(folded), "")
                automaton.add_word(folded, entry)
        automaton.make_automaton()
        return automaton

    def match(self, text: str) -> list[Match]:
        """Every term occurrence in `text`, nested and overlapping ones included, in text order
        (longer first where two start together); `nested` marks those inside a longer one."""
        if not text or (self._words is None and self._puncts is None):
            return []
        folded = fold(text)
        ft = folded.text
        moved = folded.starts is not None or bool(folded.breaks)
        code = [m.span() for m in _INLINE_CODE.finditer(text)] if "`" in text else None
        hits: list[Match] = []
        if self._words is not None:
            wt = _word_text(ft)
            self._scan(self._words, " " + wt, 1, ft, text, folded, moved, code, hits)
        if self._puncts is not None:
            self._scan(self._puncts, ft, 0, ft, text, folded, moved, code, hits)
        return _resolve(hits)

    def _scan(
        self,
        automaton: ahocorasick.Automaton,
        scanned: str,
        offset: int,
        ft: str,
        text: str,
        folded: Folded,
        moved: bool,
        code: list[tuple[int, int]] | None,
        hits: list[Match],
    ) -> None:
        size = len(ft)
        original_span = folded.original_span
        for last, entry in automaton.iter(scanned):
            start = last - entry.length + 1 - offset + (1 if entry.word_start else 0)
            end = last + 1 - offset
            if end < size:
                after = ft[end]
                if after.isalnum() or after == "_":
                    # The common rejection inline: the hit runs on into a longer Latin word.
                    if not (entry.ends_hangul or "\uac00" <= after <= "\ud7a3"):
                        continue
                    if not self._korean_edges(ft, start, end, check_start=False):
                        continue
            if not entry.word_start and not self._edges_ok(ft, start, end, entry):
                continue
            if entry.apostrophe and ft[start:end] != entry.apostrophe:
                continue
            o_start, o_end = original_span(start, end) if moved else (start, end)
            before = text[o_start - 1] if o_start else " "
            after_o = text[o_end] if o_end < len(text) else " "
            if (before in _CODE_MARKS or after_o in _CODE_MARKS) and _inside_code(text, o_start, o_end):
                continue
            surface = text[o_start:o_end]
            if code is not None and _in_inline_code(code, o_start, o_end, surface):
                continue
            if entry.cased:
                form = next(
                    (f for f in entry.forms if not f.label.case_sensitive or _alnum(surface) == _alnum(f.text)), None
                )
                if form is None:
                    continue
            else:
                form = entry.forms[0]
            label = form.label
            hits.append(Match(form.term, o_start, o_end, label.text, _rule(surface, form), label.lang, label.status))

    def _edges_ok(self, ft: str, start: int, end: int, entry: _Entry) -> bool:
        """Edges of a hit that may not start a word by construction (Hangul, punctuation)."""
        if entry.punct:
            # A label that begins or ends with punctuation never continues a run of it (>>> in >>>>).
            if start and ft[start - 1] == ft[start] and ft[start] in entry.punct:
                return False
            if end < len(ft) and ft[end] == ft[end - 1] and ft[end - 1] in entry.punct:
                return False
        if start and _is_word_char(ft[start - 1]):
            return self._korean_edges(ft, start, end, check_start=True)
        return True

    def _korean_edges(self, ft: str, start: int, end: int, check_start: bool) -> bool:
        needs_kiwi = False
        edges = ((start, start - 1), (end - 1, end)) if check_start else ((end - 1, end),)
        for inner, outer in edges:
            if outer < 0 or outer >= len(ft) or not _is_word_char(ft[outer]):
                continue
            if not (is_hangul(ft[outer]) or is_hangul(ft[inner])):
                return False  # the hit is part of a longer Latin/digit word
            if outer == start - 1 and end - start == 1:
                return False  # a one-syllable Korean label only counts at a word start
            if outer == end and korean.particle_follows(ft, end):
                continue
            if end - start == 1:
                return False  # 칩셋 is not 칩: a one-syllable label needs a real boundary on both sides
            needs_kiwi = True
        if not needs_kiwi:
            return True
        left = max(ft.rfind(" ", 0, start) + 1, start - _KIWI_WINDOW)
        right = ft.find(" ", end)
        right = min(len(ft) if right < 0 else right, end + _KIWI_WINDOW)
        return korean.is_whole_word(ft[left:right], start - left, end - left)


def _alnum(text: str) -> str:
    return _NOT_ALNUM.sub("", text)


def _rule(surface: str, form: _Form) -> str:
    if form.inflected:
        return "inflection"
    if surface == form.label.text:
        return "exact"
    if surface.lower() == form.label.text.lower():
        return "case"
    return "variant"


def _inside_code(text: str, start: int, end: int) -> bool:
    """True when text[start:end] lies inside an identifier, a path or a URL (and is not all of it)."""
    a = start
    while a > 0 and text[a - 1] not in _TOKEN_BREAKS:
        a -= 1
    b = end
    while b < len(text) and text[b] not in _TOKEN_BREAKS:
        b += 1
    token = text[a:b].rstrip(".:")  # sentence punctuation after a word is prose
    a_end = a + len(token)
    if a >= start and a_end <= end:
        return False  # the label is the whole token: written that way
    if "://" in token or token.lower().startswith("www."):
        return True
    left, right = text[a:start], text[end:a_end]
    if left.endswith("_") or right.startswith("_"):
        return True  # snake_case
    if (left[-1:] == "." and left[-2:-1].isalnum()) or (right[:1] == "." and right[1:2].isalnum()):
        dotted = token.split()[-1] if left[-1:] == "." else token.split()[0]
        if not _ABBREVIATION.match(dotted) and not dotted.replace(".", "").isdigit():
            return True  # a dotted name: vendor.models.Foundation, config.gpu, numpy.py
    if "/" in left or "/" in right or "\\" in token:
        piece = token.split()[-1] if "/" in left else token.split()[0]
        if piece.count("/") >= 2 or piece.startswith(("/", "./", "../", "~/")) or "\\" in piece:
            return True  # a path
    if left[-1:] in "-‐‑" or right[:1] in "-‐‑":
        word = token.split()[-1] if left[-1:] in "-‐‑" else token.split()[0]
        if _TRAIN_CASE.match(word.replace("‐", "-").replace("‑", "-")):
            return True  # a header-like name: Content-Type, X-Request-Id
    return False


def _in_inline_code(spans: list[tuple[int, int]], start: int, end: int, surface: str) -> bool:
    """Inside a Markdown `code span`, unless the hit is all of it and is itself written like
    code (`__init__`, `C++`): a plain word in backticks is code."""
    for a, b in spans:
        if a < start and end < b:
            whole = start == a + 1 and end == b - 1
            return not (whole and not surface.replace(" ", "").isalnum())
    return False


def _resolve(hits: list[Match]) -> list[Match]:
    """Text order, longer first; a hit inside a longer hit of the same term is dropped (the
    longer label says it), one inside another term's hit is kept and marked nested."""
    hits.sort(key=lambda m: (m.start, -(m.end - m.start), _RULE_RANK[m.rule]))
    out: list[Match] = []
    reach = -1
    outer: list[Match] = []  # the hits that still reach past the current start
    for hit in hits:
        if hit.end <= reach:
            if any(o.term == hit.term and o.end >= hit.end for o in outer):
                continue
            out.append(hit._replace(nested=True))
            continue
        out.append(hit)
        outer = [o for o in outer if o.end > hit.start] + [hit]
        reach = hit.end
    return out


def leftmost_longest(matches: Iterable[Match]) -> list[Match]:
    """The non-overlapping view: from the left, the longest match at each point."""
    chosen: list[Match] = []
    reach = -1
    for m in sorted(matches, key=lambda m: (m.start, -(m.end - m.start), _RULE_RANK[m.rule])):
        if m.start >= reach:
            chosen.append(m)
            reach = m.end
    return chosen


def match_terms(terms: Iterable[Term], text: str) -> list[Match]:
    """Convenience for one-off use: build a matcher, teach Kiwi its labels, match `text`."""
    matcher = Matcher(terms)
    korean.add_user_words(matcher.korean_words)
    return matcher.match(text)
