"""Alias suggestions: labels the corpus uses for a term that the glossary does not have yet.

Four kinds, each with its evidence (passages, documents, examples) and a score in [0, 1]:
- `abbreviation`: defined in the text next to a label of the term, either way round:
  "neural processing unit (NPU)", "HBM (high-bandwidth memory)", "디지털 트윈(DT)". For a Latin
  long form, the Schwartz–Hearst rule checks that the short form's characters appear in order in
  the long form, the first at the start of a word (Schwartz and Hearst, PSB 2003); this module
  implements it (the PyPI implementation has not been maintained since 2019).
- `short-form`: a shorter head of a long label, used with a definite article in a document after
  the full label ("the computing centre" after "national AI computing centre").
- `spelling`: a British/American spelling, or a Korean loanword spelling, of a label that the
  corpus uses and the matcher does not already accept.
- `cross-reference`: a glossary entry whose definition only points to another term ("See large
  language model.", "→ LLM"): its label is suggested as an alias of that term (a merge).
A suggestion never matches text until a curator accepts it into glossary.yaml.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from index.backends.base import StoredPassage
from index.glossary import Glossary, Term
from index.matcher import Matcher
from index.text import fold_label

DERIVED_NAME = "aliases"  # the background writer stores suggestions under this name
CONFIDENT = 0.7  # the documented threshold of `confident`
EXAMPLES = 3
KINDS = ("abbreviation", "short-form", "spelling", "cross-reference")

_PAREN = re.compile(r"\(([^()]{1,80})\)")
_SHORT_FORM = re.compile(r"^[A-Za-z0-9][A-Za-z0-9\-&./]{0,9}$")
_CROSS_REFERENCE = re.compile(r"^\s*(?:see(?: also)?|cf\.?|→|->|=>)\s+(.+?)\s*\.?\s*$", re.I)
# British -> American word endings (and back): a label in one spelling suggests the other.
_SPELLINGS = [
    (r"isation\b", "ization"),
    (r"ise\b", "ize"),
    (r"ised\b", "ized"),
    (r"ising\b", "izing"),
    (r"yse\b", "yze"),
    (r"our\b", "or"),
    (r"tre\b", "ter"),
    (r"ogue\b", "og"),
    (r"elling\b", "eling"),
    (r"elled\b", "eled"),
]
# Korean loanword spellings that writers alternate (외래어 표기의 흔한 변이).
_HANGUL_VARIANTS = [("털", "탈"), ("센터", "센타"), ("메시지", "메세지"), ("렌", "랜"), ("케이", "케잇")]


@dataclass
class Evidence:
    passages: set[str] = field(default_factory=set)
    documents: set[str] = field(default_factory=set)
    examples: list[dict[str, object]] = field(default_factory=list)

    def add(self, passage: StoredPassage, start: int, end: int) -> None:
        if passage.id in self.passages:
            return
        self.passages.add(passage.id)
        self.documents.add(passage.doc)
        if len(self.examples) < EXAMPLES:
            self.examples.append(
                {"doc": passage.doc, "passage": passage.id, "text": passage.text, "start": start, "end": end}
            )


@dataclass(frozen=True)
class AliasSuggestion:
    term: str
    alias: str
    kind: str
    score: float
    passages: int
    documents: int
    examples: tuple[dict[str, object], ...]
    merge: str | None = None  # cross-reference: the entry the alias comes from

    @property
    def confident(self) -> bool:
        return self.score >= CONFIDENT

    def as_dict(self) -> dict[str, object]:
        return {
            "term": self.term,
            "alias": self.alias,
            "kind": self.kind,
            "score": self.score,
            "confident": self.confident,
            "passages": self.passages,
            "documents": self.documents,
            "examples": list(self.examples),
            "merge": self.merge,
        }


# -- Schwartz–Hearst ------------------------------------------------------------------------
def short_form_in_long_form(short: str, long: str) -> bool:
    """Schwartz–Hearst: every letter or digit of `short`, right to left, found in `long` in order;
    the first one at the start of a word of `long`."""
    chars = [c.lower() for c in short if c.isalnum()]
    if not chars or not any(c.isalpha() for c in chars):
        return False
    s, l_index = len(chars) - 1, len(long) - 1
    while s >= 0:
        c = chars[s]
        while l_index >= 0 and (long[l_index].lower() != c or (s == 0 and l_index > 0 and long[l_index - 1].isalnum())):
            l_index -= 1
        if l_index < 0:
            return False
        l_index -= 1
        s -= 1
    return True


def _looks_like_short_form(text: str) -> bool:
    return bool(_SHORT_FORM.match(text)) and any(c.isupper() for c in text) and not text.isdigit()


def _is_latin(text: str) -> bool:
    return all(ord(c) < 0x2E80 for c in text)


class AliasFinder:
    """Finds suggestions in passages for one glossary (its matcher finds the labels)."""

    def __init__(self, glossary: Glossary, matcher: Matcher, rejected: Iterable[tuple[str, str]] = ()):
        self.glossary = glossary
        self.matcher = matcher
        self.rejected = {(t, fold_label(a)) for t, a in rejected}
        # Every label of every term, folded: a suggestion must not be one (of its term or another's).
        self.labels = {fold_label(lb.text): t.id for t in glossary.terms for lb in t.labels}
        self.evidence: dict[tuple[str, str, str], Evidence] = defaultdict(Evidence)
        self._forms: dict[tuple[str, str, str], str] = {}
        self._head_list: list[tuple[str, str, re.Pattern[str]]] | None = None
        self._variant_list: list[tuple[str, str, re.Pattern[str]]] | None = None

    def _note(self, term: str, alias: str, kind: str, passage: StoredPassage, start: int, end: int) -> None:
        folded = fold_label(alias)
        if not folded or folded in self.labels or (term, folded) in self.rejected:
            return
        key = (term, folded, kind)
        self._forms.setdefault(key, alias)
        self.evidence[key].add(passage, start, end)

    def scan(self, passages: Iterable[StoredPassage]) -> None:
        by_doc_seen: dict[str, set[str]] = defaultdict(set)  # document -> terms whose full label it used
        for passage in passages:
            matches = [m for m in self.matcher.match(passage.text) if not m.nested]
            self._abbreviations(passage, matches)
            seen = by_doc_seen[passage.doc]
            self._short_forms(passage, matches, seen)
            seen.update(m.term for m in matches)
            self._spellings(passage, matches)

    def _abbreviations(self, passage: StoredPassage, matches: list) -> None:  # type: ignore[type-arg]
        text = passage.text
        for paren in _PAREN.finditer(text):
            inner = paren.group(1).strip()
            before = text[: paren.start()].rstrip()
            # "long form (SF)": a label of a term ends right before the parenthesis.
            if _looks_like_short_form(inner):
                for m in matches:
                    long_form = text[m.start : m.end]
                    # A Hangul long form cannot spell a Latin short form: its place is the evidence.
                    if m.end == len(before) and (not _is_latin(long_form) or short_form_in_long_form(inner, long_form)):
                        self._note(m.term, inner, "abbreviation", passage, paren.start(1), paren.end(1))
            # "SF (long form)": the parenthesis holds exactly a label of a term.
            lead = len(paren.group(1)) - len(paren.group(1).lstrip())
            first, last = paren.start(1) + lead, paren.start(1) + len(paren.group(1).rstrip())
            inside = [m for m in matches if m.start == first and m.end == last]
            word = re.search(r"([A-Za-z0-9][A-Za-z0-9\-&./]{0,9})$", before)
            if inside and word and _looks_like_short_form(word.group(1)):
                m = inside[0]
                if short_form_in_long_form(word.group(1), text[m.start : m.end]):
                    self._note(m.term, word.group(1), "abbreviation", passage, word.start(1), word.end(1))

    def _heads(self) -> list[tuple[str, str, re.Pattern[str]]]:
        """(term, lower-case head, pattern) for the shorter heads of every long English label."""
        if self._head_list is None:
            self._head_list = []
            for term in self.glossary.terms:
                for label in term.labels:
                    words = label.text.split()
                    if label.lang != "en" or len(words) < 3:
                        continue
                    for k in range(len(words) - 1, 1, -1):
                        head = " ".join(words[-k:])
                        pattern = re.compile(rf"\b(?:the|this|that|its)\s+({re.escape(head)})\b", re.I)
                        self._head_list.append((term.id, head.lower(), pattern))
        return self._head_list

    def _short_forms(self, passage: StoredPassage, matches: list, seen: set[str]) -> None:  # type: ignore[type-arg]
        text, lower = passage.text, passage.text.lower()
        spans = [(m.start, m.end) for m in matches]
        for term_id, head, pattern in self._heads():
            if head not in lower:  # cheap: most passages use no head at all
                continue
            for found in pattern.finditer(text):
                start, end = found.span(1)
                if any(s <= start and end <= e for s, e in spans):
                    continue  # part of the full label
                # The full label must come first: earlier in the document, or earlier here.
                if term_id in seen or any(m.term == term_id and m.end <= start for m in matches):
                    self._note(term_id, text[start:end], "short-form", passage, start, end)

    def _spellings(self, passage: StoredPassage, matches: list) -> None:  # type: ignore[type-arg]
        text, lower = passage.text, passage.text.lower()
        spans = [(m.start, m.end) for m in matches]
        for term_id, variant, pattern in self._variants():
            if variant not in lower:
                continue
            for found in pattern.finditer(text):
                start, end = found.span()
                if not any(s <= start and end <= e for s, e in spans):
                    self._note(term_id, text[start:end], "spelling", passage, start, end)

    def _variants(self) -> list[tuple[str, str, re.Pattern[str]]]:
        if self._variant_list is None:
            self._variant_list = []
            for term in self.glossary.terms:
                for label in term.labels:
                    for variant in spelling_variants(label.text):
                        if fold_label(variant) not in self.labels:
                            pattern = re.compile(rf"(?<!\w){re.escape(variant)}(?!\w)", re.I)
                            self._variant_list.append((term.id, variant.lower(), pattern))
        return self._variant_list

    def suggestions(self) -> list[AliasSuggestion]:
        """Scored: a kind's base (an abbreviation defined in the text is the strongest evidence),
        plus 0.1 for each further document and 0.02 for each further passage in one; confident
        from CONFIDENT (0.7): an abbreviation defined in two documents, a short form or a
        spelling used in three."""
        found = []
        for (term, folded, kind), ev in self.evidence.items():
            docs, passages = len(ev.documents), len(ev.passages)
            base = {"abbreviation": 0.6, "short-form": 0.5, "spelling": 0.55}[kind]
            score = round(min(0.99, base + 0.1 * (docs - 1) + 0.02 * (passages - docs)), 3)
            alias = self._forms[(term, folded, kind)]
            found.append(AliasSuggestion(term, alias, kind, score, passages, docs, tuple(ev.examples)))
        found += cross_references(self.glossary, self.rejected)
        return sorted(found, key=lambda s: (-s.score, s.term, s.alias))


def spelling_variants(label: str) -> list[str]:
    """The other spellings of a label: British <-> American endings, Korean loanword variants."""
    variants = set()
    for british, american in _SPELLINGS:
        variants.add(re.sub(british, american, label))
        variants.add(re.sub(american.replace("\\b", "") + r"\b", british.replace("\\b", ""), label))
    for a, b in _HANGUL_VARIANTS:
        if a in label:
            variants.add(label.replace(a, b))
        if b in label:
            variants.add(label.replace(b, a))
    variants.discard(label)
    return sorted(variants)


def cross_references(glossary: Glossary, rejected: set[tuple[str, str]] = frozenset()) -> list[AliasSuggestion]:  # type: ignore[assignment]
    """Entries whose definition only points to another term: merge them into it as an alias."""
    by_label = {fold_label(lb.text): t for t in glossary.terms for lb in t.labels}
    found = []
    for term in glossary.terms:
        pointer = _CROSS_REFERENCE.match(term.definition or "")
        if not pointer:
            continue
        target: Term | None = by_label.get(fold_label(pointer.group(1)))
        if target is None or target.id == term.id or (target.id, fold_label(term.preferred)) in rejected:
            continue
        found.append(AliasSuggestion(target.id, term.preferred, "cross-reference", 0.95, 0, 0, (), merge=term.id))
    return found


def suggest_aliases(
    passages: Iterable[StoredPassage], glossary: Glossary, matcher: Matcher, rejected: Iterable[tuple[str, str]] = ()
) -> list[AliasSuggestion]:
    finder = AliasFinder(glossary, matcher, rejected)
    finder.scan(passages)
    return finder.suggestions()
