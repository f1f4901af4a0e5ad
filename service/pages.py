"""The pages people use: search box, term pages, document view. Same store calls as the API."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import Blueprint, current_app, redirect, render_template, request, url_for
from markupsafe import Markup, escape

from index.corpus import validate_document_id
from index.errors import DocumentError, ReviewInvalid
from index.matcher import leftmost_longest
from index.poller import STATE, public_status
from index.review import load_review
from index.text import passage_fingerprint
from index.tracking import PeriodCount
from service.render import term_detail
from service.state import current_store

bp = Blueprint("pages", __name__)
PAGE_SIZE = 10
KWIC_CHARS = 160


def highlight(text: str, spans: Sequence[tuple[int, int, str | None, str | None]], window: bool = False) -> Markup:
    """Text with <mark> (or a link) around each span; `window` trims it to keyword-in-context."""
    spans = sorted(spans)
    lo, hi = 0, len(text)
    if window and spans and len(text) > 2 * KWIC_CHARS + 200:
        lo = max(0, spans[0][0] - KWIC_CHARS)
        hi = min(len(text), spans[-1][1] + KWIC_CHARS)
    out = [Markup("…") if lo > 0 else Markup("")]
    position = lo
    for start, end, href, title in spans:
        if start < position or start < lo or end > hi:
            continue
        out.append(escape(text[position:start]))
        inner = escape(text[start:end])
        if href:
            out.append(
                Markup('<a class="term-link" href="{}" title="{}"><mark>{}</mark></a>').format(href, title or "", inner)
            )
        else:
            out.append(Markup("<mark>{}</mark>").format(inner))
        position = end
    out.append(escape(text[position:hi]))
    if hi < len(text):
        out.append(Markup("…"))
    return Markup("").join(out)


def chart(periods: list[PeriodCount], width: int = 720, height: int = 180) -> dict[str, Any]:
    """Geometry of a bar chart of uses per period, labelled so that it reads without hovering."""
    if not periods:
        return {"bars": [], "width": width, "height": height}
    top = max(p.count for p in periods) or 1
    slot = width / len(periods)
    every = max(1, len(periods) // 12)  # at most ~12 axis labels
    bars = []
    for i, p in enumerate(periods):
        bar_height = round((height - 50) * p.count / top, 1)
        bars.append(
            {
                "x": round(i * slot + slot * 0.15, 1),
                "w": round(slot * 0.7, 1),
                "h": bar_height,
                "y": round(height - 30 - bar_height, 1),
                "count": p.count,
                "period": p.period,
                "burst": p.burst,
                "show_label": i % every == 0,
                "cx": round(i * slot + slot / 2, 1),
            }
        )
    return {"bars": bars, "width": width, "height": height}


@bp.get("/")
def home() -> Any:
    store = current_store()
    query = request.args.get("q", "").strip()[:500]
    result = store.search(query) if query else None
    resolved = store.lookup(query) if query else None
    return render_template(
        "home.html",
        query=query,
        result=result,
        resolved=resolved.term if resolved else None,
        highlight=highlight,
        counts=store.counts(),
        glossary=store.glossary,
    )


def _offset() -> int:
    try:
        return max(0, int(request.args.get("offset", 0)))
    except ValueError:
        return 0


@bp.get("/terms/<term_id>")
def term_page(term_id: str) -> Any:
    store = current_store()
    term = store.term(term_id)
    if term is None:
        return not_found(f"There is no term “{term_id}”.", term_id)
    offset = _offset()
    total, hits = store.term_passages(term, limit=PAGE_SIZE, offset=offset)
    periods = store.trend(term, "month")
    return render_template(
        "term.html",
        term=term,
        detail=term_detail(store, term),
        hits=hits,
        total=total,
        offset=offset,
        page_size=PAGE_SIZE,
        chart=chart(periods),
        periods=periods,
        highlight=highlight,
        cooccurring=store.cooccurring(term, limit=8),
        aliases=[s for s in store.alias_suggestions().items if s["term"] == term.id][:10],
        verdicts=_verdicts(term.id),
        fingerprint=passage_fingerprint,
    )


def _verdicts(term_id: str) -> list[dict[str, Any]]:
    try:
        return load_review(current_app.config["REVIEW_PATH"]).entries(term_id)
    except ReviewInvalid:
        return []  # /api/status reports the file's problems


@bp.get("/documents/<doc_id:doc_id>")
def document_page(doc_id: str) -> Any:
    store = current_store()
    try:
        validate_document_id(doc_id)
    except DocumentError:
        return not_found(f"“{doc_id}” is not a document id.", None)
    found = store.document(doc_id)
    if found is None:
        return not_found(f"There is no document “{doc_id}”.", None)
    doc, passages = found
    glossary = store.glossary

    def shown(term_id: str) -> str:
        term = glossary.get(term_id)
        return term.preferred if term else term_id

    rendered = []
    for passage, matches in passages:
        # One mark per leftmost-longest match; the terms nested in it or overlapping it are
        # named in its title ("GPU cluster · also: GPU") rather than marked again.
        spans: list[tuple[int, int, str | None, str | None]] = []
        top = leftmost_longest(matches)
        for m in top:
            also = [o.term for o in matches if o not in top and o.start < m.end and m.start < o.end]
            title = shown(m.term) + (" · also: " + ", ".join(dict.fromkeys(map(shown, also))) if also else "")
            spans.append((m.start, m.end, url_for("pages.term_page", term_id=m.term), title))
        rendered.append((passage, highlight(passage.text, spans)))
    terms_used = sorted({m.term for _, ms in passages for m in ms})
    return render_template(
        "document.html", doc=doc, passages=rendered, terms_used=[glossary.get(t) for t in terms_used if glossary.get(t)]
    )


def not_found(message: str, query: str | None) -> Any:
    suggestions = current_store().did_you_mean(query) if query else []
    return render_template("not_found.html", message=message, suggestions=suggestions), 404


def render_http_error(exc: Any) -> Any:
    return not_found("There is no page at this address.", None)


@bp.get("/favicon.ico")
def favicon() -> Any:
    return redirect(url_for("static", filename="favicon.svg"), 301)


@bp.get("/trends")
def trends_page() -> Any:
    moved = current_store().movements("month", window=3)
    rising = [m for m in moved if m.change > 0][:15]
    falling = [m for m in moved if m.change < 0][:15]
    return render_template("trends.html", rising=rising, falling=falling)


@bp.get("/candidates")
def candidates_page() -> Any:
    found = current_store().candidates(limit=40)
    return render_template("candidates.html", candidates=found.items, fresh=found, highlight=highlight)


@bp.get("/sources")
def sources_page() -> Any:
    found = public_status(current_store().snapshot.derived(STATE))
    return render_template("sources.html", problems=found["problems"], sources=found["sources"])
