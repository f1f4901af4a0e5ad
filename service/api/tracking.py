"""Term tracking endpoints: trends, rising terms, co-occurrence, deprecated usage, candidates."""

from __future__ import annotations

from typing import Any

from flask import Blueprint
from marshmallow import Schema, fields, validate

from index.tracking import BURST_RULE, INTERVALS
from service.api.common import passage_filter, term_or_404
from service.api.contract import operation
from service.api.schemas import FilterArgs, PassageOut
from service.errors import Error
from service.render import hit_json
from service.state import current_store

bp = Blueprint("tracking", __name__, url_prefix="/api")


class TrendArgs(FilterArgs):
    interval = fields.String(load_default="month", validate=validate.OneOf(INTERVALS))


class TrendsArgs(TrendArgs):
    top = fields.Integer(load_default=10, validate=validate.Range(min=1, max=100))
    window = fields.Integer(load_default=3, validate=validate.Range(min=1, max=60))


class LimitArgs(FilterArgs):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))


class CandidatesArgs(Schema):
    # Candidates are computed over the newest passages of the whole corpus, so no filter applies.
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
    preferred = fields.String(required=True)
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
    preferred = fields.String(required=True)
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


@operation(bp, "/terms/<term_id>/trend", args=TrendArgs, responses={200: TrendOut}, errors=[Error.NOT_FOUND])
def term_trend(term_id: str, args: dict[str, Any]) -> Any:
    """Uses per week, month or year, normalised by the corpus size of the period, with bursts."""
    term = term_or_404(term_id)
    periods = current_store().trend(term, args["interval"], passage_filter(args))
    return {
        "term": term.id,
        "interval": args["interval"],
        "burst_rule": BURST_RULE,
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


@operation(bp, "/trends", args=TrendsArgs, responses={200: TrendsOut})
def trends(args: dict[str, Any]) -> Any:
    """Terms rising and falling most: the last `window` periods against the `window` before."""
    moved = current_store().movements(args["interval"], args["window"], passage_filter(args))

    def out(m: Any) -> dict[str, Any]:
        return {
            "term": m.term.id,
            "preferred": m.term.preferred,
            "before": m.before,
            "after": m.after,
            "change": m.change,
            "count_before": m.count_before,
            "count_after": m.count_after,
        }

    return {
        "interval": args["interval"],
        "window": args["window"],
        "rising": [out(m) for m in moved if m.change > 0][: args["top"]],
        "falling": [out(m) for m in moved if m.change < 0][: args["top"]],
    }


@operation(
    bp, "/terms/<term_id>/cooccurring", args=LimitArgs, responses={200: CooccurringOut}, errors=[Error.NOT_FOUND]
)
def term_cooccurring(term_id: str, args: dict[str, Any]) -> Any:
    """Terms that share passages with a term, with counts and the newest shared passage each."""
    term = term_or_404(term_id)
    found = current_store().cooccurring(term, args["limit"], passage_filter(args))
    return {
        "term": term.id,
        "cooccurring": [
            {"term": c.term.id, "preferred": c.term.preferred, "passages": c.passages, "example": hit_json(c.example)}
            for c in found
        ],
    }


@operation(bp, "/reports/deprecated", args=LimitArgs, responses={200: DeprecatedReport})
def deprecated_report(args: dict[str, Any]) -> Any:
    """Passages that use deprecated terms or labels, and what to use instead."""
    uses = current_store().deprecated_usage(passage_filter(args))
    return {
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


@operation(bp, "/candidates", args=CandidatesArgs, responses={200: CandidatesOut})
def candidates(args: dict[str, Any]) -> Any:
    """Recurring phrases that are not in the glossary, best candidates first.

    Computed by the background writer after writes, never on request: `computed_at` says when,
    and `current` whether the corpus has changed since.
    """
    found = current_store().candidates(args["limit"])
    return {
        "candidates": found.items,
        "computed_at": found.computed_at,
        "content_version": found.content_version,
        "current": found.current,
    }
