"""Term tracking endpoints: trends, rising terms, co-occurrence, deprecated usage, candidates."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields, validate

from index.postings import PassageFilter
from index.tracking import INTERVALS, cooccurring, deprecated_usage, movements, trend
from index.writer import CANDIDATES
from service.api.common import cached_json, get_term_or_404, hit_json, parse_args
from service.api.terms import IsoDate, PassageOut
from service.state import current_store

bp = Blueprint("tracking", __name__, url_prefix="/api")


class FilterArgs(Schema):
    since = IsoDate()
    until = IsoDate()
    lang = fields.String(validate=validate.Length(min=2, max=12))
    source = fields.String(validate=validate.Length(min=1, max=300))


class TrendArgs(FilterArgs):
    interval = fields.String(load_default="month", validate=validate.OneOf(INTERVALS))


class TrendsArgs(TrendArgs):
    top = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    window = fields.Integer(load_default=3, validate=validate.Range(min=1, max=60))


class LimitArgs(FilterArgs):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class PeriodOut(Schema):
    period = fields.String(required=True)
    count = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    corpus = fields.Integer(required=True)
    normalised = fields.Float(required=True)
    burst = fields.Boolean(required=True)


class TrendOut(Schema):
    term = fields.String(required=True)
    interval = fields.String(required=True)
    burst_rule = fields.String(required=True)
    periods = fields.List(fields.Nested(PeriodOut), required=True)


class MovementOut(Schema):
    term = fields.String(required=True)
    label = fields.String(required=True)
    before = fields.Float(required=True)
    after = fields.Float(required=True)
    change = fields.Float(required=True)
    count_before = fields.Integer(required=True)
    count_after = fields.Integer(required=True)


class TrendsOut(Schema):
    interval = fields.String(required=True)
    window = fields.Integer(required=True)
    rising = fields.List(fields.Nested(MovementOut), required=True)
    falling = fields.List(fields.Nested(MovementOut), required=True)


class CooccurrenceOut(Schema):
    term = fields.String(required=True)
    label = fields.String(required=True)
    passages = fields.Integer(required=True)
    example = fields.Nested(PassageOut, required=True)


class CooccurringOut(Schema):
    term = fields.String(required=True)
    cooccurring = fields.List(fields.Nested(CooccurrenceOut), required=True)


class DeprecatedOut(Schema):
    term = fields.String(required=True)
    used_label = fields.String(required=True)
    reason = fields.String(required=True)
    use_instead = fields.String(required=True)
    use_term = fields.String(allow_none=True, required=True)
    passage = fields.Nested(PassageOut, required=True)


class DeprecatedReport(Schema):
    total = fields.Integer(required=True)
    uses = fields.List(fields.Nested(DeprecatedOut), required=True)


class CandidateOut(Schema):
    phrase = fields.String(required=True)
    passages = fields.Integer(required=True)
    documents = fields.Integer(required=True)
    rise = fields.Float(required=True)
    score = fields.Float(required=True)
    examples = fields.List(fields.Dict(), required=True)


class CandidatesOut(Schema):
    candidates = fields.List(fields.Nested(CandidateOut), required=True)
    computed_at = fields.String(allow_none=True, required=True)
    content_version = fields.Integer(allow_none=True, required=True)
    current = fields.Boolean(required=True)


def _filter(args: dict[str, Any]) -> PassageFilter:
    return PassageFilter(None, args.get("since"), args.get("until"), args.get("lang"), args.get("source"))


@bp.get("/terms/<term_id>/trend")
def term_trend(term_id: str) -> Any:
    """Uses per period, normalised by the corpus size of the period, with bursts."""
    term = get_term_or_404(term_id)
    args = parse_args(TrendArgs)
    periods = trend(current_store(), term, args["interval"], _filter(args))
    return cached_json(
        {
            "term": term.id,
            "interval": args["interval"],
            "burst_rule": (
                "normalised rate above the mean of the other periods by more than 2 standard deviations, "
                "and at least 2 uses"
            ),
            "periods": [
                {
                    "period": p.period,
                    "count": p.count,
                    "documents": p.documents,
                    "corpus": p.corpus,
                    "normalised": p.normalised,
                    "burst": p.burst,
                }
                for p in periods
            ],
        }
    )


@bp.get("/trends")
def trends() -> Any:
    """Terms rising and falling most: the last `window` periods against the `window` before."""
    args = parse_args(TrendsArgs)
    moved = movements(current_store(), args["interval"], args["window"], _filter(args))

    def out(m: Any) -> dict[str, Any]:
        return {
            "term": m.term.id,
            "label": m.term.term,
            "before": m.before,
            "after": m.after,
            "change": m.change,
            "count_before": m.count_before,
            "count_after": m.count_after,
        }

    return cached_json(
        {
            "interval": args["interval"],
            "window": args["window"],
            "rising": [out(m) for m in moved if m.change > 0][: args["top"]],
            "falling": [out(m) for m in moved if m.change < 0][: args["top"]],
        }
    )


@bp.get("/terms/<term_id>/cooccurring")
def term_cooccurring(term_id: str) -> Any:
    """Terms that share passages with this one, with counts and an example passage each."""
    term = get_term_or_404(term_id)
    args = parse_args(LimitArgs)
    found = cooccurring(current_store(), term, args["limit"], _filter(args))
    return cached_json(
        {
            "term": term.id,
            "cooccurring": [
                {"term": c.term.id, "label": c.term.term, "passages": c.passages, "example": hit_json(c.example)}
                for c in found
            ],
        }
    )


@bp.get("/reports/deprecated")
def deprecated_report() -> Any:
    """Passages that use a deprecated term or label, and what to use instead."""
    args = parse_args(LimitArgs)
    uses = deprecated_usage(current_store(), _filter(args))
    return cached_json(
        {
            "total": len(uses),
            "uses": [
                {
                    "term": d.term.id,
                    "used_label": d.used_label,
                    "reason": d.reason,
                    "use_instead": d.use_instead,
                    "use_term": d.use_term.id if d.use_term else None,
                    "passage": hit_json(d.hit),
                }
                for d in uses[: args["limit"]]
            ],
        }
    )


def stored_candidates(limit: int = 50) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The candidate terms the background writer last stored, and how fresh they are."""
    snap = current_store().snapshot
    found = snap.derived(CANDIDATES)
    if found is None:
        return [], {"computed_at": None, "content_version": None, "current": False}
    fresh = {
        "computed_at": dt.datetime.fromtimestamp(found["computed_at"], dt.UTC).isoformat(),
        "content_version": found["content_version"],
        "current": found["content_version"] == snap.state.content_version,
    }
    return list(found["data"])[:limit], fresh


@bp.get("/candidates")
def candidates() -> Any:
    """Recurring phrases that are not in the glossary, best candidates first.

    Computed by the background writer after writes (never on request): `computed_at` says when,
    and `current` whether the corpus has changed since.
    """
    args = parse_args(LimitArgs)
    found, fresh = stored_candidates(args["limit"])
    return cached_json({"candidates": found, **fresh})
