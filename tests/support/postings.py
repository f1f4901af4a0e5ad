"""Helpers the tests share: reading a term's passages from a fresh snapshot, and the answer a
full match of the whole corpus gives, to compare postings with."""

from __future__ import annotations

from index.backends.base import PassageIndex
from index.postings import without_rejected
from index.store import Store
from index.vocabulary import glossary_from_text, matcher_for

Spans = tuple[tuple[int, int, str, str], ...]


def passage_ids(index: PassageIndex, term_id: str) -> list[str]:
    """A term's passages, newest first, as a new request would read them."""
    with index.snapshot() as snap:
        store = Store(snap)
        term = store.term(term_id)
        return [h.passage.id for h in store.all_hits(term)] if term else []


def postings_of(index: PassageIndex) -> dict[str, list[tuple[str, Spans]]]:
    """Every term's passages and spans as the postings give them, newest first."""
    with index.snapshot() as snap:
        store = Store(snap)
        return {
            t.id: [
                (h.passage.id, tuple((m.start, m.end, m.label, m.rule) for m in h.matches)) for h in store.all_hits(t)
            ]
            for t in store.glossary.terms
        }


def full_match(index: PassageIndex) -> dict[str, list[tuple[str, Spans]]]:
    """The same, by matching every passage of the corpus from scratch with the stored glossary."""
    with index.snapshot() as snap:
        glossary = glossary_from_text(snap.state.glossary_text)
        matcher = matcher_for(glossary)
        found: dict[str, list[tuple[object, str, Spans]]] = {t.id: [] for t in glossary.terms}
        for p in snap.all_passages():
            matches = without_rejected(matcher.match(p.text), p.text, matcher.rejected)
            for term_id in dict.fromkeys(m.term for m in matches):
                spans = tuple((m.start, m.end, m.label, m.rule) for m in matches if m.term == term_id)
                found[term_id].append((p.sort_key_newest_first(), p.id, spans))
    return {t: [(pid, spans) for _, pid, spans in sorted(rows, key=lambda r: r[0])] for t, rows in found.items()}
