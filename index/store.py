"""The read-only store: one index snapshot and its glossary → answers for the API and page.

Every view (JSON or HTML) goes through these methods, so the two never disagree. A store
serves one snapshot (a glossary version and the postings matched with it), so one request
never mixes versions. Term usage comes from the postings and the counts kept beside them;
no method matches corpus text (annotate matches only the text it is given).
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any

from index import tracking
from index.aliases import DERIVED_NAME as ALIASES
from index.backends.base import Hit, IndexCounts, Snapshot, StoredPassage
from index.candidates import DERIVED_NAME as CANDIDATES
from index.corpus import Document
from index.glossary import Glossary, Term
from index.matcher import Match, leftmost_longest
from index.postings import PassageFilter, Usage, usage_of
from index.text import fold, fold_label, highlight_words, is_hangul, search_words, word_key
from index.vocabulary import Vocabulary, glossary_from_text, vocabulary_for

MAX_SUGGESTIONS = 10

__all__ = [
    "Hit",
    "LookupResult",
    "PassageFilter",
    "SearchResult",
    "Store",
    "StoredCandidates",
    "Suggestion",
    "Usage",
]


@dataclass(frozen=True)
class LookupResult:
    query: str
    term: Term | None
    label: str | None = None
    rule: str | None = None
    suggestions: tuple[Term, ...] = ()


@dataclass(frozen=True)
class Suggestion:
    term: Term
    label: str  # the label that matched what was typed (the preferred label for hidden ones)


@dataclass(frozen=True)
class SearchResult:
    terms: tuple[Term, ...]
    passages: tuple[tuple[StoredPassage, tuple[tuple[int, int], ...]], ...]
    total: int


@dataclass(frozen=True)
class StoredCandidates:
    """Candidate terms as the background writer last stored them, and how fresh they are."""

    items: list[dict[str, Any]]
    computed_at: str | None  # ISO time, None: never computed yet
    content_version: int | None
    current: bool  # computed from the content being served


class Store:
    """Read-only answers over one snapshot of an index, with the glossary it was matched with."""

    def __init__(self, snapshot: Snapshot, glossary: Glossary | None = None):
        self.snapshot = snapshot
        state = snapshot.state
        served = (
            glossary_from_text(state.glossary_text, version=state.glossary_version) if glossary is None else glossary
        )
        self._vocab: Vocabulary = vocabulary_for(served)

    @property
    def glossary(self) -> Glossary:
        return self._vocab.glossary

    def term(self, term_id: str) -> Term | None:
        return self.glossary.get(term_id)

    def terms(self, tag: str | None = None, status: str | None = None, lang: str | None = None) -> list[Term]:
        return [
            t
            for t in self.glossary.terms
            if (not tag or tag in t.tags) and (not status or t.status == status) and (not lang or lang in t.languages)
        ]

    # -- term usage (from postings) ----------------------------------------------------------
    def term_passages(
        self, term: Term, where: PassageFilter = PassageFilter(), sort: str = "newest", limit: int = 20, offset: int = 0
    ) -> tuple[int, list[Hit]]:
        """(total, one page) of the passages that use `term`, newest documents first by default."""
        return self.snapshot.term_page(term.id, where, sort, offset, limit)

    def all_hits(self, term: Term, where: PassageFilter = PassageFilter()) -> list[Hit]:
        """Every passage that uses `term` (for exports and tests; pages use term_passages)."""
        total, _ = self.term_passages(term, where, limit=1)
        return self.term_passages(term, where, limit=max(1, total))[1]

    def usage(self, term: Term, where: PassageFilter = PassageFilter()) -> Usage:
        if where.doc:
            total, hits = self.term_passages(term, where, limit=1_000_000)
            dates = [h.passage.date for h in hits if h.passage.date]
            return Usage(total, 1 if total else 0, min(dates, default=None), max(dates, default=None))
        return usage_of(self.snapshot.term_stats(term.id), where)

    def counts(self) -> IndexCounts:
        return self.snapshot.counts()

    # -- labels ------------------------------------------------------------------------------
    def lookup(self, text: str) -> LookupResult:
        """Resolve a label in any form: exact, then any case, then variants and inflections."""
        query = text.strip()
        vocab = self._vocab
        for table, rule, key in (
            (vocab.exact, "exact", query),
            (vocab.caseless, "case", query.casefold()),
            (vocab.folded, "variant", fold_label(query) if query else ""),
        ):
            if key in table:
                term, label = table[key]
                return LookupResult(query, term, label.text, rule)
        whole = self._whole_match(query)
        if whole:
            return LookupResult(query, self.glossary.get(whole.term), whole.label, whole.rule)
        return LookupResult(query, None, suggestions=tuple(self._did_you_mean(query)))

    def did_you_mean(self, text: str, n: int = 5) -> list[Term]:
        """Terms a mistyped, inflected or partial label (or a term id) probably meant: the one
        rule for every "not found" answer, API and page alike."""
        query = text.replace("-", " ") if re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)+", text) else text
        result = self.lookup(query)
        if result.term:
            return [result.term]
        if result.suggestions:
            return list(result.suggestions)[:n]
        words = query.split()
        return [s.term for s in self.suggest(words[0] if words else query, n)]

    def _whole_match(self, query: str) -> Match | None:
        """A match that is all of the query, give or take punctuation and Korean particles."""
        matches = leftmost_longest(self._vocab.matcher.match(query))
        if len(matches) != 1:
            return None
        m = matches[0]
        rest = query[: m.start] + " " + query[m.end :]
        words = re.findall(r"\w+", rest)
        attached = query[m.end : m.end + 1]
        if not words or (len(words) == 1 and attached and is_hangul(attached) and query[m.end :].strip() == words[0]):
            return m
        return None

    def _did_you_mean(self, query: str, n: int = 5) -> list[Term]:
        key = fold_label(query) if query else ""
        if not key:
            return []
        close = difflib.get_close_matches(key, list(self._vocab.folded), n=n * 2, cutoff=0.6)
        terms: dict[str, Term] = {}
        for label_key in close:
            term = self._vocab.folded[label_key][0]
            terms.setdefault(term.id, term)
        return list(terms.values())[:n]

    def suggest(self, text: str, limit: int = MAX_SUGGESTIONS) -> list[Suggestion]:
        """Autocomplete over every label: whole-label prefixes first, then word prefixes."""
        key = fold(text).text.strip()
        if not key:
            return []
        vocab = self._vocab
        found: list[tuple[tuple[int, int, int], str, str]] = []
        position = bisect.bisect_left(vocab.prefixes, (key,))
        while position < len(vocab.prefixes) and vocab.prefixes[position][0].startswith(key):
            suffix, word_start, kind, term_id, shown = vocab.prefixes[position]
            found.append(((word_start, kind, len(shown)), term_id, shown))
            position += 1
        found.sort()
        seen: dict[str, Suggestion] = {}
        for _, term_id, shown in found:
            if term_id not in seen:
                seen[term_id] = Suggestion(self.glossary.by_id[term_id], shown)
        if not seen:  # typed text with a particle or an inflection: fall back to matching
            for m in leftmost_longest(vocab.matcher.match(text)):
                seen.setdefault(m.term, Suggestion(self.glossary.by_id[m.term], m.label))
        return list(seen.values())[:limit]

    # -- text --------------------------------------------------------------------------------
    def annotate(self, text: str, overlaps: bool = False) -> list[Match]:
        """Every term occurrence in text someone sent (the one read that runs the matcher):
        the leftmost-longest view, or with `overlaps` every match, nested ones marked."""
        found = self._vocab.matcher.match(text)
        return found if overlaps else leftmost_longest(found)

    def search(self, query: str, limit: int = 20) -> SearchResult:
        """Terms whose labels or definitions contain the query, and passages that do."""
        groups = search_words(query)
        key = fold(query).text.strip()
        resolved = self.lookup(query).term if key else None
        terms: list[tuple[int, Term]] = []
        if key:
            for term in self.glossary.terms:
                labels = " | ".join(fold_label(lb.text) for lb in term.visible_labels())
                words = {word_key(w) for w in re.findall(r"\w+", labels + " " + fold(term.definition).text)}
                if term is resolved:
                    terms.append((0, term))
                elif key in labels:
                    terms.append((1, term))
                elif groups and all(any(w in words for w in group) for group in groups):
                    terms.append((2, term))
        found = self.snapshot.search(groups, limit) if groups else []
        marks = highlight_words(query)
        passages = tuple((p, highlight_spans(p.text, marks)) for p in found)
        return SearchResult(tuple(t for _, t in sorted(terms, key=lambda x: x[0])), passages, len(passages))

    def get_document(self, doc_id: str) -> Document | None:
        return self.snapshot.get_document(doc_id)

    def document(self, doc_id: str) -> tuple[Document, list[tuple[StoredPassage, tuple[Match, ...]]]] | None:
        """A document with every match in its passages (from its postings)."""
        doc = self.snapshot.get_document(doc_id)
        if doc is None:
            return None
        return doc, self.snapshot.document_passages(doc_id)

    # -- tracking (from the counts kept beside the postings) ---------------------------------
    def trend(
        self, term: Term, interval: str = "month", where: PassageFilter = PassageFilter()
    ) -> list[tracking.PeriodCount]:
        """Uses per period, normalised by the corpus size of the period, with bursts."""
        return tracking.trend(self, term, interval, where)

    def movements(
        self, interval: str = "month", window: int = 3, where: PassageFilter = PassageFilter()
    ) -> list[tracking.Movement]:
        """Terms by how much their use changed: the last `window` periods against the ones before."""
        return tracking.movements(self, interval, window, where)

    def cooccurring(
        self, term: Term, limit: int = 20, where: PassageFilter = PassageFilter()
    ) -> list[tracking.Cooccurrence]:
        """Terms that share passages with `term`, most shared first, with the newest example."""
        return tracking.cooccurring(self, term, limit, where)

    def deprecated_usage(self, where: PassageFilter = PassageFilter()) -> list[tracking.DeprecatedUse]:
        """Passages that use a deprecated term or label, and what to use instead."""
        return tracking.deprecated_usage(self, where)

    def candidates(self, limit: int = 50) -> StoredCandidates:
        """Candidate terms as the background writer last stored them (never computed here)."""
        found = self.snapshot.derived(CANDIDATES)
        if found is None:
            return StoredCandidates([], None, None, False)
        return StoredCandidates(
            list(found["data"])[:limit],
            dt.datetime.fromtimestamp(found["computed_at"], dt.UTC).isoformat(),
            found["content_version"],
            found["content_version"] == self.snapshot.state.content_version,
        )

    def alias_suggestions(self) -> StoredCandidates:
        """Alias suggestions as the background writer last stored them (never computed here)."""
        found = self.snapshot.derived(ALIASES)
        if found is None:
            return StoredCandidates([], None, None, False)
        state = self.snapshot.state
        return StoredCandidates(
            list(found["data"]["suggestions"]),
            dt.datetime.fromtimestamp(found["computed_at"], dt.UTC).isoformat(),
            None,
            found["data"]["key"].startswith(f"{state.content_version}:{state.glossary_version}:"),
        )


def highlight_spans(text: str, wanted: list[str]) -> tuple[tuple[int, int], ...]:
    """Spans of `text` whose words start with one of the searched words (Korean: anywhere)."""
    folded = fold(text)
    if not wanted:
        return ()
    pattern = re.compile("|".join(re.escape(w) for w in sorted(set(wanted), key=len, reverse=True)))
    spans = []
    for found in pattern.finditer(folded.text):
        start = found.start()
        if start > 0 and folded.text[start - 1].isalnum() and not is_hangul(folded.text[start]):
            continue
        spans.append(folded.original_span(start, found.end()))
    return tuple(spans)
