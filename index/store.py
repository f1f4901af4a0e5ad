"""The read-only store: glossary + matcher + passage index → answers for the API and page.

Every view (JSON or HTML) goes through these methods, so the two never disagree. A term's
passages are found as: index candidates that contain the words of one of its labels, then
confirmed, with spans, by the glossary's matcher. Results are cached per index version and
per term's match signature, so a glossary edit recomputes only the terms it touched. A term
whose candidates are much of the corpus triggers one pass that caches every term at once.
"""

from __future__ import annotations

import bisect
import difflib
import hashlib
import re
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from index.backend import IndexCounts, PassageIndex, StoredPassage
from index.corpus import Document
from index.glossary import LABEL_KIND_ORDER, Glossary, Label, Term
from index.matcher import Match, Matcher
from index.text import fold, fold_label, highlight_words, is_hangul, query_keys, search_words, word_key

MAX_SUGGESTIONS = 10
# A term lookup that finds more candidate passages than this share of the corpus (and at
# least the minimum) switches to one pass that finds every term's passages.
_CORPUS_PASS_SHARE = 0.25
_MIN_PASS_BUDGET = 2000


@dataclass(frozen=True)
class Hit:
    """A passage that uses a term, with the term's matches in it."""

    passage: StoredPassage
    matches: tuple[Match, ...]


@dataclass(frozen=True)
class Usage:
    passages: int
    documents: int
    first_seen: str | None
    last_seen: str | None


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
class PassageFilter:
    doc: str | None = None
    since: str | None = None
    until: str | None = None
    lang: str | None = None
    source: str | None = None

    def accepts(self, p: StoredPassage) -> bool:
        if self.doc and p.doc != self.doc:
            return False
        if self.lang and p.lang != self.lang:
            return False
        if self.source and p.source != self.source:
            return False
        if self.since and (p.date is None or p.date < self.since):
            return False
        return not (self.until and (p.date is None or p.date > self.until))


SORTS: dict[str, Callable[[Hit], tuple[object, ...]]] = {
    "newest": lambda h: h.passage.sort_key_newest_first(),
    "oldest": lambda h: (h.passage.date is None, h.passage.date or "", h.passage.doc, h.passage.ordinal),
    "document": lambda h: (h.passage.doc, h.passage.ordinal),
    "matches": lambda h: (-len(h.matches), *h.passage.sort_key_newest_first()),
}


@dataclass
class _Vocabulary:
    """Everything derived from one glossary version (built once per edit)."""

    glossary: Glossary
    matcher: Matcher
    exact: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    caseless: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    folded: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    prefixes: list[tuple[str, int, int, str, str]] = field(default_factory=list)
    signatures: dict[str, str] = field(default_factory=dict)


def _hit_signatures(terms: Iterable[Term]) -> dict[str, str]:
    """Per term, a hash of everything its hits depend on: its own labels and the labels of
    every term whose matches could overlap its matches (and so win leftmost-longest).

    Overlapping matches share a word (or a Hangul syllable), so terms that share none can
    never shadow each other: an edit to one leaves the other's cached hits valid.
    """
    terms = list(terms)
    pieces = {t.id: {p for lb in t.labels for p in _overlap_pieces(lb.text)} for t in terms}
    by_piece: dict[str, set[str]] = {}
    for term_id, found in pieces.items():
        for piece in found:
            by_piece.setdefault(piece, set()).add(term_id)
    own = {t.id: t.match_signature() for t in terms}
    out = {}
    for term_id, found in pieces.items():
        neighbours = sorted({n for piece in found for n in by_piece[piece]} - {term_id})
        digest = hashlib.sha1(own[term_id].encode())
        for n in neighbours:
            digest.update(f"|{n}:{own[n]}".encode())
        out[term_id] = digest.hexdigest()
    return out


def _overlap_pieces(label: str) -> set[str]:
    text = fold_label(label)
    return {w for w in re.findall(r"\w+", text) if not is_hangul(w[0])} | {c for c in text if is_hangul(c)}


def _vocabulary(glossary: Glossary) -> _Vocabulary:
    vocab = _Vocabulary(glossary, Matcher(glossary.terms))
    vocab.signatures = _hit_signatures(glossary.terms)
    for term in glossary.terms:
        for label in sorted(term.labels, key=lambda lb: LABEL_KIND_ORDER[lb.kind]):
            vocab.exact.setdefault(label.text, (term, label))
            vocab.caseless.setdefault(label.text.casefold(), (term, label))
            key = fold_label(label.text)
            vocab.folded.setdefault(key, (term, label))
            shown = term.term if label.kind == "hidden" else label.text
            starts = [0] + [m.end() for m in re.finditer(r" ", key)]
            for start in starts:
                vocab.prefixes.append((key[start:], 0 if start == 0 else 1,
                                       LABEL_KIND_ORDER[label.kind], term.id, shown))
    vocab.prefixes.sort()
    return vocab


class Store:
    """Read-only answers over one passage index and the current glossary."""

    def __init__(self, passages: PassageIndex, glossary: Glossary):
        self.index = passages
        self._vocab = _vocabulary(glossary)
        self._hits: dict[str, list[Hit]] = {}
        self._hits_version = ""
        self._corpus_pass_version = ""
        self._lock = threading.Lock()

    # -- glossary ------------------------------------------------------------------------
    @property
    def glossary(self) -> Glossary:
        return self._vocab.glossary

    def use_glossary(self, glossary: Glossary) -> None:
        """Swap in a new glossary; cached hits stay for terms that the edit cannot affect."""
        vocab = _vocabulary(glossary)
        self._vocab = vocab  # one assignment: readers see the old or the new vocabulary
        live = set(vocab.signatures.values())
        with self._lock:
            for signature in set(self._hits) - live:
                self._hits.pop(signature, None)

    def term(self, term_id: str) -> Term | None:
        return self.glossary.get(term_id)

    def terms(self, tag: str | None = None, status: str | None = None, lang: str | None = None) -> list[Term]:
        return [t for t in self.glossary.terms
                if (not tag or tag in t.tags) and (not status or t.status == status)
                and (not lang or lang in t.languages)]

    # -- term usage ----------------------------------------------------------------------
    def hits(self, term: Term) -> list[Hit]:
        """Every passage that uses `term`, newest documents first (cached).

        "Uses" means what annotate shows: the glossary's leftmost-longest matches, so a GPU
        inside "GPU cluster" counts for GPU cluster only.
        """
        version = self.index.version()
        vocab = self._vocab
        signature = vocab.signatures.get(term.id) or term.match_signature()
        with self._lock:
            if version != self._hits_version:
                self._hits = {}
                self._hits_version = version
            cached = self._hits.get(signature)
        if cached is not None:
            return cached
        # A term whose candidates are a large share of the corpus costs about a corpus pass on
        # its own; the matcher finds every term in that pass, so do it once for them all, at
        # most once per index version (after a start or a write). Terms that a later glossary
        # edit touches are looked up one by one, which keeps an edit's first lookup short.
        with self._lock:
            pass_pays = self._corpus_pass_version != version and vocab.signatures.get(term.id) == signature
        budget = max(_MIN_PASS_BUDGET, int(self.index.counts().passages * _CORPUS_PASS_SHARE)) if pass_pays else -1
        key_sets = [query_keys(label.text) for label in term.labels]
        found = []
        for n, passage in enumerate(self.index.candidates(key_sets)):
            if n == budget:
                return self._match_corpus(vocab, version)[signature]
            matches = tuple(m for m in vocab.matcher.match(passage.text) if m.term == term.id)
            if matches:
                found.append(Hit(passage, matches))
        found.sort(key=SORTS["newest"])
        self._remember(version, {signature: found})
        return found

    def _match_corpus(self, vocab: _Vocabulary, version: str) -> dict[str, list[Hit]]:
        """Every term's hits from one pass over every passage; cached for every term."""
        with self._lock:
            self._corpus_pass_version = version
        used = [(p, ms) for p in self.index.all_passages() if (ms := vocab.matcher.match(p.text))]
        used.sort(key=lambda pair: pair[0].sort_key_newest_first())  # once, not once per term
        by_term: dict[str, list[Hit]] = {t.id: [] for t in vocab.glossary.terms}
        for passage, matches in used:
            for term_id in dict.fromkeys(m.term for m in matches):
                by_term[term_id].append(Hit(passage, tuple(m for m in matches if m.term == term_id)))
        found = {vocab.signatures[term_id]: hits for term_id, hits in by_term.items()}
        self._remember(version, found)
        return found

    def _remember(self, version: str, found: dict[str, list[Hit]]) -> None:
        with self._lock:
            if self._hits_version == version:  # not if a write came in meanwhile
                self._hits.update(found)

    def term_passages(self, term: Term, where: PassageFilter = PassageFilter(), sort: str = "newest",
                      limit: int = 20, offset: int = 0) -> tuple[int, list[Hit]]:
        hits = self.hits(term)
        if where != PassageFilter():
            hits = [h for h in hits if where.accepts(h.passage)]
        if sort != "newest":
            hits = sorted(hits, key=SORTS[sort])
        return len(hits), hits[offset : offset + limit]

    def usage(self, term: Term, where: PassageFilter = PassageFilter()) -> Usage:
        hits = [h for h in self.hits(term) if where.accepts(h.passage)]
        dates = [h.passage.date for h in hits if h.passage.date]
        return Usage(len(hits), len({h.passage.doc for h in hits}), min(dates, default=None),
                     max(dates, default=None))

    def counts(self) -> IndexCounts:
        return self.index.counts()

    # -- labels --------------------------------------------------------------------------
    def lookup(self, text: str) -> LookupResult:
        """Resolve a label in any form: exact, then any case, then variants and inflections."""
        query = text.strip()
        vocab = self._vocab
        for table, rule, key in ((vocab.exact, "exact", query), (vocab.caseless, "case", query.casefold()),
                                 (vocab.folded, "variant", fold_label(query) if query else "")):
            if key in table:
                term, label = table[key]
                return LookupResult(query, term, label.text, rule)
        whole = self._whole_match(query)
        if whole:
            return LookupResult(query, self.glossary.get(whole.term), whole.label, whole.rule)
        return LookupResult(query, None, suggestions=tuple(self._did_you_mean(query)))

    def did_you_mean(self, text: str) -> list[Term]:
        """Terms a mistyped or inflected label probably meant (for 404 pages and errors)."""
        result = self.lookup(text)
        return [result.term] if result.term else list(result.suggestions)

    def _whole_match(self, query: str) -> Match | None:
        """A match that is all of the query, give or take punctuation and Korean particles."""
        matches = self._vocab.matcher.match(query)
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
            for m in vocab.matcher.match(text):
                seen.setdefault(m.term, Suggestion(self.glossary.by_id[m.term], m.label))
        return list(seen.values())[:limit]

    # -- text ----------------------------------------------------------------------------
    def annotate(self, text: str) -> list[Match]:
        return self._vocab.matcher.match(text)

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
        ranked = self.index.search(groups, limit) if groups else []
        marks = highlight_words(query)
        passages = tuple((p, highlight_spans(p.text, marks)) for p, _ in ranked)
        return SearchResult(tuple(t for _, t in sorted(terms, key=lambda x: x[0])), passages, len(passages))

    def document(self, doc_id: str) -> tuple[Document, list[tuple[StoredPassage, list[Match]]]] | None:
        doc = self.index.get_document(doc_id)
        if doc is None:
            return None
        passages = self.index.document_passages(doc_id)
        return doc, [(p, self.annotate(p.text)) for p in passages]


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
