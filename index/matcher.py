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

The per-hit loop is also compiled (index/_scan.c, built by the install where a C compiler is
found): on text dense with terms the Python loop runs at about a third of a bare Aho-Corasick
scan, the compiled one at about two thirds (bench/matcher.py). The Python here stays the
reference: every matcher test runs on both, and a property test compares them on random text.
A change to a rule in `_scan_words`, `prepare`'s folding or `_resolve` is made in both.
"""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import NamedTuple

import ahocorasick

from index import korean
from index.glossary import Label, Term
from index.text import FOLD_CLASSES, Folded, fold, fold_label, is_hangul, plural_forms

compiled: ModuleType | None  # the hot loop compiled (index/_scan.c); this module is its reference
try:
    from index import _scan as compiled
except ImportError:  # installed where no C compiler was found: the Python below does it all
    compiled = None
if compiled is not None:
    compiled.configure(*FOLD_CLASSES)


def implementation() -> str:
    """Which per-hit loop this process runs (shown in /api/status)."""
    return "compiled" if compiled is not None else "python"


RULES = ("exact", "case", "variant", "inflection")
_RULE_RANK = {rule: rank for rank, rule in enumerate(RULES)}
_LAST_WORD = re.compile(r"([A-Za-z0-9]+)$")
_NOT_ALNUM = re.compile(r"[\W_]+")
# How far around a hit Kiwi looks; bounded so that text with no spaces stays linear.
_KIWI_WINDOW = 24
# In the "word text" every character that is not a word character is a space, one for one,
# so that a key written " gpu" can only hit at the start of a word.
_NON_WORD = re.compile(r"[^\w ]")  # spaces are spaces already: fewer substitutions
_ASCII_WORD_TEXT = bytes(b if (chr(b).isalnum() or b == ord("_")) else ord(" ") for b in range(128)) + bytes(
    range(128, 256)
)
# Characters that, right before or after a hit, may make it part of code (checked further).
_CODE_MARKS = frozenset("._/\\-‐‑–:@#`~+=$%&|")
_TOKEN_BREAKS = frozenset(" \t\n\r()[]{}<>,;!?\"'“”‘’«»")
_TRAIN_CASE = re.compile(r"^[A-Z][a-z0-9]+(?:-[A-Z][a-z0-9]+)+$")
_ABBREVIATION = re.compile(r"^(?:[A-Za-z]\.)+[A-Za-z]?$")  # e.g, i.e., U.S.
_INLINE_CODE = re.compile(r"`[^`\n]+`")
_HANGUL_RUN = re.compile("[\uac00-\ud7a3]{0,6}")


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


# What a match copies from its form: (term, label text, label lower-cased, lang, status, inflected).
_FormInfo = tuple[str, str, str, str, str, bool]


class _Entry(NamedTuple):
    """An automaton value; unpacked once per hit, so it is a plain tuple in field order."""

    length: int  # of the key in the scanned text
    forms: tuple[_Form, ...]
    cased: bool  # some form is case-sensitive
    word_start: int  # 1 when the key begins with the sentinel space: the hit starts a word
    ends_hangul: bool
    punct: str  # the label's own leading/trailing punctuation (punctuation keys only)
    apostrophe: str  # the folded form, when it has an apostrophe the word text turned into a space
    first: _FormInfo  # of forms[0], the form a case-insensitive hit uses


def _info(form: _Form) -> _FormInfo:
    label = form.label
    return (form.term, label.text, label.text.lower(), label.lang, label.status, form.inflected)


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
        # Curators' rejected matches: term -> passage fingerprints (applied by index.postings).
        self.rejected: dict[str, frozenset[str]] = {}
        words: dict[str, list[_Form]] = {}  # keys in the word text
        puncts: dict[str, list[_Form]] = {}  # keys whose punctuation matters, in the folded text
        for term in terms:
            for label in term.labels:
                for form, inflected in label_forms(label):
                    key = fold_label(form)
                    if not key:
                        continue
                    entry = _Form(term.id, label, form, inflected)
                    if key[0] != "'" and key[-1] != "'" and all(_is_word_char(ch) or ch in " '" for ch in key):
                        words.setdefault(key, []).append(entry)
                    else:
                        puncts.setdefault(key, []).append(entry)
        self._words = self._automaton(words, word_keys=True)
        self._puncts = self._automaton(puncts, word_keys=False)
        # The caller registers these with the shared analyser before building (vocabulary._build).
        self.korean_words = frozenset(korean_user_words(terms))
        # What the compiled scan needs besides the text: the rules that stay in Python.
        self._compiled_context = (
            self._words,
            Match,
            korean.ENDINGS,
            self._korean_edges,
            _inside_code,
            _in_inline_code,
            _cased_form,
            "".join(sorted(_CODE_MARKS)),
            RULES,
        )

    @staticmethod
    def _automaton(entries: dict[str, list[_Form]], word_keys: bool) -> ahocorasick.Automaton | None:
        if not entries:
            return None
        automaton = ahocorasick.Automaton()
        for folded, forms in entries.items():
            forms.sort(key=lambda f: f.inflected)  # a label as written beats another's inflection
            cased = any(f.label.case_sensitive for f in forms)
            ends_hangul = is_hangul(folded[-1])
            first = _info(forms[0])
            if word_keys:
                # "moore's law" is scanned as "moore s law"; the hit is then checked for the apostrophe.
                key, apostrophe = _word_text(folded), folded if "'" in folded else ""
                start = 0 if is_hangul(key[0]) else 1
                if start:
                    key = " " + key  # a hit must start a word: the scanned text begins with a space
                entry = _Entry(len(key), tuple(forms), cased, start, ends_hangul, "", apostrophe, first)
                automaton.add_word(key, tuple(entry))
            else:
                entry = _Entry(len(folded), tuple(forms), cased, 0, ends_hangul, _edge_punct(folded), "", first)
                automaton.add_word(folded, tuple(entry))
        automaton.make_automaton()
        return automaton

    def match(self, text: str) -> list[Match]:
        """Every term occurrence in `text`, nested and overlapping ones included, in text order
        (longer first where two start together); `nested` marks those inside a longer one."""
        if not text or (self._words is None and self._puncts is None):
            return []
        # The compiled loop takes NFC text on fold's common path (prepare answers None for the
        # rest); other text, and every text where the loop is not built, takes the Python one.
        prepared = None
        if compiled is not None and (text.isascii() or unicodedata.is_normalized("NFC", text)):
            prepared = compiled.prepare(text)
        code = [m.span() for m in _INLINE_CODE.finditer(text)] if "`" in text else None
        hits: list[Match] = []
        overlapping = False
        folded: Folded | None
        if prepared is not None:
            assert compiled is not None
            ft, scanned, breaks, shifts = prepared
            folded = Folded(ft, breaks=breaks, shifts=shifts) if self._puncts is not None else None
            if self._words is not None:
                args = (self._compiled_context, scanned, ft, text, breaks, shifts, code, hits)
                overlapping = compiled.scan_words(*args)
        else:
            folded = fold(text)
            ft = folded.text
            if self._words is not None:
                overlapping = self._scan_words(" " + _word_text(ft) + " ", ft, text, folded, code, hits)
        if self._puncts is not None:
            assert folded is not None
            before = len(hits)
            self._scan_puncts(ft, text, folded, code, hits)
            overlapping = overlapping or (len(hits) > before and before > 0)
        # Most passages have no overlapping hits: they are already in text order, none nested.
        if not overlapping:
            return hits
        return compiled.resolve(hits, RULES) if compiled is not None else _resolve(hits)

    def _scan_words(
        self, scanned: str, ft: str, text: str, folded: Folded, code: list[tuple[int, int]] | None, hits: list[Match]
    ) -> bool:
        """The hot loop: keys over the word text (" " + word text + " "); returns whether any
        two hits overlap. Index i of `scanned` is index i - 1 of the folded text.
        index/_scan.c's scan_words is a line-for-line port: change both."""
        assert self._words is not None
        moved = folded.starts is not None or bool(folded.breaks)
        original_span = folded.original_span
        padded = " " + text + " "  # padded[i] is text[i - 1]: no bounds checks per hit
        code_marks = _CODE_MARKS
        append = hits.append
        new = tuple.__new__
        endings = korean.ENDINGS
        hangul_run = _HANGUL_RUN.match
        overlapping = False
        prev_start = prev_end = -1
        for last, (length, forms, cased, word_start, ends_hangul, _, apostrophe, first) in self._words.iter(scanned):
            end = last  # exclusive, in the folded text
            start = last - length + word_start
            after = scanned[last + 1]
            if after != " ":  # glued to a word character
                if "\uac00" <= after <= "\ud7a3":
                    # A particle or an ending that ends the word (디지털 트윈을): the common Korean case.
                    stop = hangul_run(ft, end).end()  # type: ignore[union-attr]  # {0,6} always matches
                    ends_word = stop - end <= 5 and scanned[stop + 1] == " " and ft[end:stop] in endings
                    if not ends_word and not self._korean_edges(ft, start, end, check_start=False):
                        continue
                elif not ends_hangul:
                    continue  # the hit runs on into a longer Latin word: the common rejection
                elif not self._korean_edges(ft, start, end, check_start=False):
                    continue
            glued_left = not word_start and start and scanned[start] != " "
            # The end was settled above: only the start is left to check here.
            if glued_left and not self._korean_edges(ft, start, end, check_start=True, check_end=False):
                continue
            if apostrophe and ft[start:end] != apostrophe:
                continue
            if moved:
                o_start, o_end = original_span(start, end)
            else:
                o_start, o_end = start, end
            if (padded[o_start] in code_marks or padded[o_end + 1] in code_marks) and _inside_code(
                text, o_start, o_end
            ):
                continue
            surface = text[o_start:o_end]
            if code is not None and _in_inline_code(code, o_start, o_end, surface):
                continue
            if cased:
                chosen = _cased_form(forms, surface)
                if chosen is None:
                    continue
                first = chosen
            term, label_text, label_lower, lang, status, inflected = first
            if inflected:
                rule = "inflection"
            elif surface == label_text:
                rule = "exact"
            elif surface.lower() == label_lower:
                rule = "case"
            else:
                rule = "variant"
            if o_start < prev_end or o_start < prev_start:
                overlapping = True
            prev_start, prev_end = o_start, o_end
            append(new(Match, (term, o_start, o_end, label_text, rule, lang, status, False)))
        return overlapping

    def _scan_puncts(
        self, ft: str, text: str, folded: Folded, code: list[tuple[int, int]] | None, hits: list[Match]
    ) -> None:
        """Labels whose punctuation matters, over the folded text (rare: no hot path)."""
        assert self._puncts is not None
        moved = folded.starts is not None or bool(folded.breaks)
        for last, values in self._puncts.iter(ft):
            entry = _Entry(*values)
            start, end = last - entry.length + 1, last + 1
            if end < len(ft) and _is_word_char(ft[end]):
                if not (entry.ends_hangul or is_hangul(ft[end])):
                    continue
                if not self._korean_edges(ft, start, end, check_start=False):
                    continue
            if not self._edges_ok(ft, start, end, entry):
                continue
            o_start, o_end = folded.original_span(start, end) if moved else (start, end)
            if _inside_code(text, o_start, o_end):
                continue
            surface = text[o_start:o_end]
            if code is not None and _in_inline_code(code, o_start, o_end, surface):
                continue
            first = _cased_form(entry.forms, surface) if entry.cased else entry.first
            if first is None:
                continue
            term, label_text, _, lang, status, inflected = first
            hits.append(Match(term, o_start, o_end, label_text, _rule(surface, first), lang, status))

    def _edges_ok(self, ft: str, start: int, end: int, entry: _Entry) -> bool:
        """Edges of a hit that may not start a word by construction (Hangul, punctuation)."""
        if entry.punct:
            # A label that begins or ends with punctuation never continues a run of it (>>> in >>>>).
            if start and ft[start - 1] == ft[start] and ft[start] in entry.punct:
                return False
            if end < len(ft) and ft[end] == ft[end - 1] and ft[end - 1] in entry.punct:
                return False
        if start and _is_word_char(ft[start - 1]):  # the end was settled by the caller
            return self._korean_edges(ft, start, end, check_start=True, check_end=False)
        return True

    def _korean_edges(self, ft: str, start: int, end: int, check_start: bool, check_end: bool = True) -> bool:
        """Word edges where Hangul is involved: particle and ending lists first, then Kiwi."""
        needs_kiwi = False
        edges: tuple[tuple[int, int], ...] = ((start, start - 1),) if check_start else ()
        if check_end:
            edges += ((end - 1, end),)
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
        # Both searches are bounded by the window: text without spaces must not cost O(n) a hit.
        left = max(ft.rfind(" ", max(0, start - _KIWI_WINDOW), start) + 1, start - _KIWI_WINDOW, 0)
        limit = min(len(ft), end + _KIWI_WINDOW)
        right = ft.find(" ", end, limit)
        right = limit if right < 0 else right
        return korean.is_whole_word(ft[left:right], start - left, end - left)


def _alnum(text: str) -> str:
    return _NOT_ALNUM.sub("", text)


def _cased_form(forms: tuple[_Form, ...], surface: str) -> _FormInfo | None:
    """The first form the surface may be: a case-sensitive one only when written in its case."""
    for f in forms:
        if not f.label.case_sensitive or _alnum(surface) == _alnum(f.text):
            return _info(f)
    return None


def _rule(surface: str, info: _FormInfo) -> str:
    _, label_text, label_lower, _, _, inflected = info
    if inflected:
        return "inflection"
    if surface == label_text:
        return "exact"
    if surface.lower() == label_lower:
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
    hits.sort(key=_text_order)
    out: list[Match] = []
    reach = -1
    outer: list[Match] = []  # earlier hits that may contain the next ones
    for hit in hits:
        if hit.end <= reach:
            if any(o.term == hit.term and o.end >= hit.end for o in outer):
                continue
            out.append(hit._replace(nested=True))
            continue
        out.append(hit)
        if outer and outer[-1].end <= hit.start:
            outer = [hit]
        else:
            outer.append(hit)
        reach = hit.end
    return out


def _text_order(m: Match) -> tuple[int, int, int]:
    return (m.start, -m.end, _RULE_RANK[m.rule])


def leftmost_longest(matches: Iterable[Match]) -> list[Match]:
    """The non-overlapping view: from the left, the longest match at each point."""
    chosen: list[Match] = []
    reach = -1
    for m in sorted(matches, key=_text_order):
        if m.start >= reach:
            chosen.append(m)
            reach = m.end
    return chosen


def match_terms(terms: Iterable[Term], text: str) -> list[Match]:
    """Convenience for one-off use: build a matcher, teach Kiwi its labels, match `text`."""
    terms = list(terms)
    korean.add_user_words(korean_user_words(terms))
    return Matcher(terms).match(text)
