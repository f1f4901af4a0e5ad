"""Term tracking: usage over time, bursts, co-occurrence, rising terms, deprecated usage.

Every figure comes from the counts the writer keeps beside the postings (a term's passages
and documents per date, language and source; shared passages per pair of terms) and from the
corpus's passage counts per date, so no request reads a term's postings one by one.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from index.backends.base import Hit
from index.glossary import Term
from index.postings import PassageFilter

if TYPE_CHECKING:  # the store calls these functions; they only read through it
    from index.store import Store

INTERVALS = ("week", "month", "year")
BURST_Z = 2.0  # a period is a burst when its rate is this many standard deviations above the mean
BURST_MIN_COUNT = 2
BURST_RULE = (
    f"normalised rate above the mean of the other periods by more than {BURST_Z:g} standard deviations, "
    f"and at least {BURST_MIN_COUNT} uses"
)


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
    for (date, lang, source), n in store.snapshot.passages_per_date().items():
        if where.accepts_group(date, lang, source or ""):
            counts[period_of(date, interval)] += n
    return counts


def term_per_period(
    store: Store, term: Term, interval: str, where: PassageFilter = PassageFilter()
) -> tuple[Counter[str], Counter[str]]:
    """(passages, documents) that use the term, per period (a document has one date)."""
    passages: Counter[str] = Counter()
    documents: Counter[str] = Counter()
    for (date, lang, source), (p, d) in store.snapshot.term_stats(term.id).groups.items():
        if date and where.accepts_group(date, lang, source):
            label = period_of(date, interval)
            passages[label] += p
            documents[label] += d
    return passages, documents


def trend(
    store: Store, term: Term, interval: str = "month", where: PassageFilter = PassageFilter()
) -> list[PeriodCount]:
    """Counts per period (all periods of the corpus, empty ones included) with bursts flagged."""
    corpus = corpus_per_period(store, interval, where)
    if not corpus:
        return []
    per_period, docs = term_per_period(store, term, interval, where)
    periods = _period_range(_first_day(min(corpus), interval), _first_day(max(corpus), interval), interval)
    rates = [per_period[p] / corpus[p] if corpus[p] else 0.0 for p in periods]
    bursts = _bursts(rates, [per_period[p] for p in periods])
    return [
        PeriodCount(p, per_period[p], docs[p], corpus[p], round(r, 6), b)
        for p, r, b in zip(periods, rates, bursts, strict=True)
    ]


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


def cooccurring(
    store: Store, term: Term, limit: int = 20, where: PassageFilter = PassageFilter()
) -> list[Cooccurrence]:
    """Terms that share passages with `term`, most shared first, with the newest shared passage each."""
    counts = store.snapshot.cooccurrence(term.id, where)
    found = []
    for other_id, n in sorted(counts.items(), key=lambda c: (-c[1], c[0])):
        other = store.term(other_id)
        if other is None or n <= 0:
            continue
        example = store.snapshot.shared_example(term.id, other_id)
        if example is not None:
            found.append(Cooccurrence(other, n, example))
        if len(found) >= limit:
            break
    return found


@dataclass(frozen=True)
class Movement:
    term: Term
    before: float  # uses per 1,000 passages in the earlier window
    after: float  # uses per 1,000 passages in the later window
    change: float  # after - before
    count_before: int
    count_after: int


def movements(
    store: Store, interval: str = "month", window: int = 3, where: PassageFilter = PassageFilter()
) -> list[Movement]:
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
        per_period, _ = term_per_period(store, term, interval, where)
        after, before = sum(per_period[p] for p in recent), sum(per_period[p] for p in earlier)
        rate_after, rate_before = 1000 * after / size_recent, 1000 * before / size_earlier
        found.append(
            Movement(
                term, round(rate_before, 3), round(rate_after, 3), round(rate_after - rate_before, 3), before, after
            )
        )
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
    deprecated_terms = [t.id for t in glossary.terms if t.status == "deprecated"]
    deprecated_labels = [
        (t.id, lb.text)
        for t in glossary.terms
        if t.status != "deprecated"
        for lb in t.labels
        if lb.status == "deprecated"
    ]
    found = []
    for hit in store.snapshot.uses(deprecated_terms, deprecated_labels, where):
        term = glossary.get(hit.matches[0].term)
        if term is None:
            continue
        if term.status == "deprecated":
            replacement = glossary.get(term.replaced_by) if term.replaced_by else None
            instead = replacement.preferred if replacement else term.preferred
            found.append(
                DeprecatedUse(hit, term, hit.matches[0].label, "deprecated term", instead, replacement or term)
            )
            continue
        labels = {text for t, text in deprecated_labels if t == term.id}
        used = next((m.label for m in hit.matches if m.label in labels), None)
        if used is not None:
            found.append(DeprecatedUse(hit, term, used, "deprecated label", term.preferred, term))
    found.sort(key=lambda d: d.hit.passage.sort_key_newest_first())
    return found
