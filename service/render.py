"""What the API and the pages both show, built once from the Store's answers: plain dicts in
the shapes service/api/schemas.py declares. Neither side builds these itself."""

from __future__ import annotations

from typing import Any

from index.backends import Hit, StoredPassage
from index.corpus import Document, split_front_matter
from index.glossary import Term
from index.store import Store


def term_summary(term: Term) -> dict[str, Any]:
    return {
        "id": term.id,
        "preferred": term.preferred,
        "status": term.status,
        "definition": term.definition,
        "tags": list(term.tags),
        "languages": list(term.languages),
    }


def term_ref(term: Term | None, term_id: str) -> dict[str, Any]:
    return {"id": term_id, "preferred": term.preferred if term else None}


def term_detail(store: Store, term: Term) -> dict[str, Any]:
    """The whole term with its usage (the term page shows the same)."""
    glossary = store.glossary
    labels: dict[str, list[dict[str, str]]] = {}
    for label in term.visible_labels():
        labels.setdefault(label.lang, []).append({"label": label.text, "kind": label.kind, "status": label.status})
    usage = store.usage(term)
    return {
        **term_summary(term),
        "notes": term.notes,
        "labels": labels,
        "sources": [{"title": s.title, "url": s.url} for s in term.sources],
        "related": [term_ref(glossary.get(i), i) for i in term.related],
        "broader": [term_ref(glossary.get(i), i) for i in term.broader],
        "narrower": [term_ref(glossary.get(i), i) for i in term.narrower],
        "replaced_by": term_ref(glossary.get(term.replaced_by), term.replaced_by) if term.replaced_by else None,
        "usage": {
            "passages": usage.passages,
            "documents": usage.documents,
            "first_seen": usage.first_seen,
            "last_seen": usage.last_seen,
        },
        "glossary_version": glossary.version,
    }


def passage_json(p: StoredPassage) -> dict[str, Any]:
    """A passage and the document it is in (the PassageBase shape)."""
    return {"doc": p.doc, "title": p.title, "date": p.date, "lang": p.lang, "passage": p.id, "text": p.text}


def hit_json(hit: Hit) -> dict[str, Any]:
    """A passage with the matches of one term in it."""
    passage = passage_json(hit.passage)
    passage["matches"] = [
        {"start": m.start, "end": m.end, "label": m.label, "rule": m.rule, "nested": m.nested} for m in hit.matches
    ]
    return passage


def document_json(doc: Document) -> dict[str, Any]:
    _, body = split_front_matter(doc.body)
    return {
        **doc.meta(),
        "author": doc.author,
        "fetched": doc.fetched,
        "text": body,
        "passages": [{"passage": p.id, "ordinal": p.ordinal, "text": p.text} for p in doc.passages],
    }
