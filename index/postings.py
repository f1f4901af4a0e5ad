"""Term postings: which terms each passage uses, and the counts kept beside them.

Only the writer computes postings (at build, on document writes, after glossary edits);
readers page through them. Both backends share what is here: how a document is matched into
postings, the per-term counts that are updated by deltas in the same commit as the postings
(passages and documents per (date, language, source), shared passages with every other term),
and how a page of a term's passages is located from those counts without reading the rest.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from index.corpus import Document
from index.matcher import Match, Matcher
from index.text import passage_fingerprint

# Bump when matching rules change: an index whose postings were made by another version is
# re-matched (in the background, built aside) before it serves the new rules.
MATCHER_VERSION = 2  # 2: nested matches, punctuation labels, code is not prose, Korean endings
# The stats key of the whole corpus: passages and documents per (date, lang, source).
CORPUS = "*corpus*"  # not a valid term id (ids are slugs), so it never collides

GroupKey = tuple[str, str, str]  # (date or "", lang, source or "")
StoredMatch = tuple[int, int, str, str, str, str, bool]  # start, end, label, rule, lang, label_status, nested


@dataclass(frozen=True)
class DocMeta:
    id: str
    date: str | None
    lang: str
    source: str | None
    passages: int

    @property
    def group(self) -> GroupKey:
        return (self.date or "", self.lang, self.source or "")


@dataclass(frozen=True)
class DocMatches:
    """Every match in one document: (ordinal, matches) for each passage that has any."""

    meta: DocMeta
    passages: tuple[tuple[int, tuple[Match, ...]], ...]

    def same_as(self, other: DocMatches) -> bool:
        """The same matches in the same passages, whatever order each lists a passage's in (read
        back from postings, two terms starting together may come in either order)."""
        if self.passages == other.passages:
            return True
        if [o for o, _ in self.passages] != [o for o, _ in other.passages]:
            return False
        return all(sorted(a) == sorted(b) for (_, a), (_, b) in zip(self.passages, other.passages, strict=True))

    def by_term(self) -> dict[str, list[tuple[int, tuple[Match, ...]]]]:
        out: dict[str, list[tuple[int, tuple[Match, ...]]]] = {}
        for ordinal, matches in self.passages:
            for term_id in dict.fromkeys(m.term for m in matches):
                out.setdefault(term_id, []).append((ordinal, tuple(m for m in matches if m.term == term_id)))
        return out


def doc_meta(doc: Document) -> DocMeta:
    return DocMeta(doc.id, doc.date, doc.lang, doc.source, len(doc.passages))


def match_document(
    doc: Document, matcher: Matcher, old: DocMatches | None = None, may_change: Callable[[str], bool] | None = None
) -> DocMatches:
    """Every match in a document; with `old` and `may_change`, passages the glossary edit
    cannot change keep their old matches instead of being matched again."""
    kept = dict(old.passages) if old is not None and may_change is not None else None
    found = []
    for p in doc.passages:
        if kept is not None and not may_change(p.text):  # type: ignore[misc]
            matches = kept.get(p.ordinal, ())
        else:
            matches = without_rejected(matcher.match(p.text), p.text, matcher.rejected)
        if matches:
            found.append((p.ordinal, tuple(matches)))
    return DocMatches(doc_meta(doc), tuple(found))


def without_rejected(matches: Iterable[Match], text: str, rejected: dict[str, frozenset[str]]) -> tuple[Match, ...]:
    """The matches but those curators rejected in this passage (by term and passage fingerprint)."""
    matches = tuple(matches)
    if not rejected or not any(m.term in rejected for m in matches):
        return matches
    fingerprint = passage_fingerprint(text)
    return tuple(m for m in matches if fingerprint not in rejected.get(m.term, ()))


def pack_matches(matches: Iterable[Match]) -> list[StoredMatch]:
    return [(m.start, m.end, m.label, m.rule, m.lang, m.label_status, m.nested) for m in matches]


def unpack_matches(term_id: str, stored: Iterable[Iterable[object]]) -> tuple[Match, ...]:
    return tuple([Match(term_id, *m) for m in stored])  # type: ignore[arg-type]


def in_text_order(matches: Iterable[Match]) -> tuple[Match, ...]:
    """A passage's matches gathered from its terms' postings, in the matcher's order: text
    order, the longer first where two start together."""
    return tuple(sorted(matches, key=lambda m: (m.start, -m.end)))


# -- counts kept beside the postings ---------------------------------------------------------
@dataclass
class TermStats:
    """A term's usage counts: per group [passages, documents], and shared passages per other term."""

    groups: dict[GroupKey, list[int]] = field(default_factory=dict)
    cooc: dict[str, int] = field(default_factory=dict)
    per_date: Counter[str] | None = field(default=None, compare=False, repr=False)  # memo of the unfiltered walk
    usage: Usage | None = field(default=None, compare=False, repr=False)  # memo of the unfiltered usage

    def is_empty(self) -> bool:
        return not self.groups and not self.cooc

    def merged(self, delta: TermStats) -> TermStats:
        """These counts plus `delta`, with groups and pairs that fell to zero dropped."""
        groups = {k: list(v) for k, v in self.groups.items()}
        for key, (passages, documents) in delta.groups.items():
            now = groups.setdefault(key, [0, 0])
            now[0] += passages
            now[1] += documents
            if now[0] <= 0 and now[1] <= 0:
                del groups[key]
        cooc = dict(self.cooc)
        for other, n in delta.cooc.items():
            cooc[other] = cooc.get(other, 0) + n
            if cooc[other] <= 0:
                del cooc[other]
        return TermStats(groups, cooc)

    def to_json(self) -> dict[str, object]:
        return {"groups": [[*k, *v] for k, v in sorted(self.groups.items())], "cooc": self.cooc}

    @classmethod
    def from_json(cls, data: dict[str, object] | None) -> TermStats:
        if not data:
            return cls()
        groups = {(g[0], g[1], g[2]): [g[3], g[4]] for g in data["groups"]}  # type: ignore[attr-defined]
        return cls(groups, dict(data["cooc"]))  # type: ignore[call-overload]


class StatsDelta:
    """Changes to every touched term's counts, from documents removed (-1) and added (+1)."""

    def __init__(self) -> None:
        self.terms: dict[str, TermStats] = {}

    def _stats(self, term_id: str) -> TermStats:
        found = self.terms.get(term_id)
        if found is None:
            found = self.terms[term_id] = TermStats()
        return found

    def add(self, dm: DocMatches, sign: int) -> None:
        group = dm.meta.group
        corpus = self._stats(CORPUS).groups.setdefault(group, [0, 0])
        corpus[0] += sign * dm.meta.passages
        corpus[1] += sign
        used = self.passages(group, ({m.term for m in matches} for _, matches in dm.passages), sign)
        self.documents(group, used, sign)

    def passages(self, group: GroupKey, passages: Iterable[set[str]], sign: int) -> set[str]:
        """Passages (each given by the terms it uses) added or removed; returns the terms they use."""
        counts: Counter[str] = Counter()
        for here in passages:
            counts.update(here)
            if len(here) > 1:
                for term_id in here:
                    cooc = self._stats(term_id).cooc
                    for other in here:
                        if other != term_id:
                            cooc[other] = cooc.get(other, 0) + sign
        for term_id, n in counts.items():
            self._stats(term_id).groups.setdefault(group, [0, 0])[0] += sign * n
        return set(counts)

    def documents(self, group: GroupKey, terms: Iterable[str], sign: int) -> None:
        """One document more (or less) that uses each of `terms`."""
        for term_id in terms:
            self._stats(term_id).groups.setdefault(group, [0, 0])[1] += sign


T = TypeVar("T")


class VersionedCache(Generic[T]):
    """What a process has read by term, for the last `versions` index versions only (the served
    one, and one that requests in flight may still pin), and at most `terms` terms a version (the
    least recently asked for go first): bounded by the glossary, not the corpus. A version never
    changes, so neither does what was read for it."""

    def __init__(self, versions: int = 2, terms: int | None = None):
        self._versions, self._terms = versions, terms
        self._by_version: OrderedDict[str, OrderedDict[str, T]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, version: str, term_id: str, read: Callable[[], T]) -> T:
        with self._lock:
            found = self._by_version.get(version)
            if found is not None and term_id in found:
                found.move_to_end(term_id)
                return found[term_id]
        value = read()  # outside the lock: two threads may both read; the answer is the same
        with self._lock:
            found = self._by_version.setdefault(version, OrderedDict())
            self._by_version.move_to_end(version)
            while len(self._by_version) > self._versions:
                self._by_version.popitem(last=False)
            found[term_id] = value
            while self._terms is not None and len(found) > self._terms:
                found.popitem(last=False)
        return value


StatsCache = VersionedCache[TermStats]  # per-term counts


# -- reading: where a page of a term's passages lies -------------------------------------------
@dataclass(frozen=True)
class PassageFilter:
    doc: str | None = None
    since: str | None = None
    until: str | None = None
    lang: str | None = None
    source: str | None = None

    def accepts_group(self, date: str, lang: str, source: str) -> bool:
        if self.lang and lang != self.lang:
            return False
        if self.source and source != self.source:
            return False
        if self.since and (not date or date < self.since):
            return False
        return not (self.until and (not date or date > self.until))

    @property
    def unfiltered(self) -> bool:
        return not (self.doc or self.since or self.until or self.lang or self.source)


def passages_per_date(stats: TermStats, where: PassageFilter) -> Counter[str]:
    if where.unfiltered and stats.per_date is not None:
        return stats.per_date
    found: Counter[str] = Counter()
    for (date, lang, source), (passages, _) in stats.groups.items():
        if where.accepts_group(date, lang, source):
            found[date] += passages
    if where.unfiltered:
        stats.per_date = found  # counts are read-only once stored: the answer never changes
    return found


def newest_dates(stats: TermStats) -> list[str]:
    """The term's dates, newest first, undated last."""
    per_date = passages_per_date(stats, PassageFilter())
    return sorted((d for d in per_date if d), reverse=True) + ([""] if "" in per_date else [])


def total_passages(stats: TermStats, where: PassageFilter) -> int:
    return sum(passages_per_date(stats, where).values())


def locate_page(
    stats: TermStats, where: PassageFilter, newest: bool, offset: int, limit: int
) -> tuple[int, list[str], int]:
    """(total, dates holding the page in order, passages to skip in the first of them).

    Dates run newest (or oldest) first, undated last; within a date, passages run by document
    and ordinal, so the page is the concatenation of those dates' passages, cut at `skip`.
    """
    per_date = passages_per_date(stats, where)
    total = total_passages(stats, where)
    order = sorted((d for d in per_date if d), reverse=newest) + ([""] if "" in per_date else [])
    dates: list[str] = []
    seen, skip = 0, 0
    for date in order:
        n = per_date[date]
        if n and seen + n > offset and seen < offset + limit:
            if not dates:
                skip = offset - seen
            dates.append(date)
        seen += n
        if seen >= offset + limit:
            break
    return total, dates, skip


@dataclass(frozen=True)
class Usage:
    passages: int
    documents: int
    first_seen: str | None
    last_seen: str | None


def usage_of(stats: TermStats, where: PassageFilter) -> Usage:
    if where.unfiltered and stats.usage is not None:
        return stats.usage  # counts are read-only once stored: the answer never changes
    passages = documents = 0
    dates = []
    for (date, lang, source), (p, d) in stats.groups.items():
        if p and where.accepts_group(date, lang, source):
            passages += p
            documents += d
            if date:
                dates.append(date)
    found = Usage(passages, documents, min(dates, default=None), max(dates, default=None))
    if where.unfiltered:
        stats.usage = found
    return found


def label_key(term_id: str, label: str) -> str:
    """A short key for one label of one term (postings are filtered by label in reports)."""
    return hashlib.sha1(f"{term_id}\x1f{label}".encode()).hexdigest()[:16]
