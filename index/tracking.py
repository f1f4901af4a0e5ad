"""Term tracking: usage over time, bursts, co-occurrence, rising terms, deprecated usage.

Every figure is computed from a term's hits (the passages that use it, with document dates)
and from the corpus's passage counts per date, so it follows the index and the glossary.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from index.glossary import Term
from index.store import Hit, PassageFilter, Store

INTERVALS = ("week", "month", "year")
BURST_Z = 2.0  # a period is a burst when its rate is this many standard deviations above the mean
BURST_MIN_COUNT = 2


def period_of(date: str, interval: str) -> str:
    """The period a YYYY-MM-DD date falls in: 2025-W21, 2025-05 or 2025."""
    if interval == "year":
        return date[:4]
    if interval == "month":
        return date[:7]
    year, week, _ = dt.date.fromisoformat(date).isocalendar()
    return f"{year}-W{week:02d}"


def _period_range(first: str, last: str, interval: str) -> list[str]:
    """Every period from the one holding `first` to the one holding `last`, gaps included."""
    start, end = dt.date.fromisoformat(first), dt.date.fromisoformat(last)
    out: list[str] = []
    day = start
    while day <= end:
        label = period_of(day.isoformat(), interval)
        if not out or out[-1] != label:
            out.append(label)
        if interval == "year":
            day = dt.date(day.year + 1, 1, 1)
        elif interval == "month":
            day = dt.date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        else:
            day += dt.timedelta(days=7 - day.weekday())
    last_label = period_of(end.isoformat(), interval)
    if not out or out[-1] != last_label:
        out.append(last_label)
    return out


@dataclass(frozen=True)
class PeriodCount:
    period: str
    count: int  # passages that use the term
    documents: int
    corpus: int  # passages in the corpus in that period
    normalised: float  # count / corpus, or 0 for an empty period
    burst: bool


def corpus_per_period(store: Store, interval: str, where: PassageFilter = PassageFilter()) -> Counter[str]:
    counts: Counter[str] = Counter()
    for (date, lang, source), n in store.index.passages_per_date().items():
        if (where.lang and lang != where.lang) or (where.source and source != where.source):
            continue
        if (where.since and date < where.since) or (where.until and date > where.until):
            continue
        counts[period_of(date, interval)] += n
    return counts


def trend(store: Store, term: Term, interval: str = "month", where: PassageFilter = PassageFilter()) -> list[PeriodCount]:
    """Counts per period (all periods of the corpus, empty ones included) with bursts flagged."""
    corpus = corpus_per_period(store, interval, where)
    hits = [h for h in store.hits(term) if h.passage.date and where.accepts(h.passage)]
    return _trend_from(hits, corpus, interval)


def _trend_from(hits: Iterable[Hit], corpus: Counter[str], interval: str) -> list[PeriodCount]:
    per_period: Counter[str] = Counter()
    docs: dict[str, set[str]] = {}
    for hit in hits:
        assert hit.passage.date
        label = period_of(hit.passage.date, interval)
        per_period[label] += 1
        docs.setdefault(label, set()).add(hit.passage.doc)
    if not corpus:
        return []
    periods = sorted(corpus)
    dates_first = min(periods)
    periods = _period_range(_first_day(dates_first, interval), _first_day(max(periods), interval), interval)
    rates = [per_period[p] / corpus[p] if corpus[p] else 0.0 for p in periods]
    bursts = _bursts(rates, [per_period[p] for p in periods])
    return [PeriodCount(p, per_period[p], len(docs.get(p, ())), corpus[p], round(r, 6), b)
            for p, r, b in zip(periods, rates, bursts, strict=True)]


def _first_day(label: str, interval: str) -> str:
    if interval == "year":
        return f"{label}-01-01"
    if interval == "month":
        return f"{label}-01"
    year, week = label.split("-W")
    return dt.date.fromisocalendar(int(year), int(week), 1).isoformat()


def _bursts(rates: list[float], counts: list[int]) -> list[bool]:
    """A burst: a rate more than BURST_Z standard deviations above the mean of the *other*
    periods (leave-one-out, so one big spike cannot hide itself), with at least two uses."""
    out = []
    for i, rate in enumerate(rates):
        others = rates[:i] + rates[i + 1 :]
        if len(others) < 2 or counts[i] < BURST_MIN_COUNT:
            out.append(False)
            continue
        mean = sum(others) / len(others)
        sd = math.sqrt(sum((r - mean) ** 2 for r in others) / len(others))
        out.append(rate > mean + BURST_Z * sd and rate > mean)
    return out


@dataclass(frozen=True)
class Cooccurrence:
    term: Term
    passages: int
    example: Hit  # the first (newest) shared passage, as a hit of the asked-about term


def cooccurring(store: Store, term: Term, limit: int = 20, where: PassageFilter = PassageFilter()) -> list[Cooccurrence]:
    """Terms that share passages with `term`, most shared first, with an example each."""
    mine = {h.passage.id: h for h in store.hits(term) if where.accepts(h.passage)}
    found = []
    for other in store.glossary.terms:
        if other.id == term.id or not mine:
            continue
        shared = [h.passage.id for h in store.hits(other) if h.passage.id in mine]
        if shared:
            found.append(Cooccurrence(other, len(shared), mine[shared[0]]))
    found.sort(key=lambda c: (-c.passages, c.term.id))
    return found[:limit]


@dataclass(frozen=True)
class Movement:
    term: Term
    before: float  # uses per 1,000 passages in the earlier window
    after: float  # uses per 1,000 passages in the later window
    change: float  # after - before
    count_before: int
    count_after: int


def movements(store: Store, interval: str = "month", window: int = 3,
              where: PassageFilter = PassageFilter()) -> list[Movement]:
    """Each term's rate in the last `window` periods against the `window` before, biggest change first."""
    corpus = corpus_per_period(store, interval, where)
    if not corpus:
        return []
    periods = _period_range(_first_day(min(corpus), interval), _first_day(max(corpus), interval), interval)
    recent, earlier = periods[-window:], periods[-2 * window : -window]
    size_recent = sum(corpus[p] for p in recent) or 1
    size_earlier = sum(corpus[p] for p in earlier) or 1
    found = []
    for term in store.glossary.terms:
        per_period = Counter(period_of(h.passage.date, interval) for h in store.hits(term)
                             if h.passage.date and where.accepts(h.passage))
        after, before = sum(per_period[p] for p in recent), sum(per_period[p] for p in earlier)
        rate_after, rate_before = 1000 * after / size_recent, 1000 * before / size_earlier
        found.append(Movement(term, round(rate_before, 3), round(rate_after, 3),
                              round(rate_after - rate_before, 3), before, after))
    found.sort(key=lambda m: (-abs(m.change), m.term.id))
    return found


@dataclass(frozen=True)
class DeprecatedUse:
    hit: Hit
    term: Term
    used_label: str
    reason: str  # "deprecated term" or "deprecated label"
    use_instead: str  # the label to use
    use_term: Term | None


def deprecated_usage(store: Store, where: PassageFilter = PassageFilter()) -> list[DeprecatedUse]:
    """Passages that use a deprecated term or a deprecated label, with what to write instead."""
    glossary = store.glossary
    found = []
    for term in glossary.terms:
        deprecated_labels = {lb.text for lb in term.labels if lb.status == "deprecated"}
        if term.status != "deprecated" and not deprecated_labels:
            continue
        replacement = glossary.get(term.replaced_by) if term.replaced_by else None
        for hit in store.hits(term):
            if not where.accepts(hit.passage):
                continue
            for match in hit.matches:
                if term.status == "deprecated":
                    instead = replacement.term if replacement else term.term
                    found.append(DeprecatedUse(hit, term, match.label, "deprecated term", instead, replacement or term))
                    break
                if match.label in deprecated_labels:
                    found.append(DeprecatedUse(hit, term, match.label, "deprecated label", term.term, term))
                    break
    found.sort(key=lambda d: d.hit.passage.sort_key_newest_first())
    return found
