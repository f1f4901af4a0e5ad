"""Export the glossary as CSV or SKOS (Turtle, JSON-LD), and import edits from CSV."""

from __future__ import annotations

import csv
import difflib
import io
from typing import Any

from rdflib import RDF, SKOS, Graph, Literal, Namespace, URIRef
from rdflib.namespace import DCTERMS

from index.glossary import Glossary
from index.review import Review, with_review
from index.safe_yaml import round_trip_yaml
from index.vocabulary import parse_glossary

CSV_COLUMNS = (
    "id",
    "term",
    "status",
    "definition",
    "aliases",
    "hidden",
    "labels",
    "tags",
    "related",
    "broader",
    "narrower",
    "replaced_by",
    "notes",
)
LIST_SEPARATOR = " | "


def to_csv(glossary: Glossary) -> str:
    """One row a term; lists joined with ' | '; other-language labels as `ko:라벨`."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for t in glossary.terms:
        aliases = [lb.text for lb in t.labels if lb.lang == "en" and lb.kind == "alternative"]
        hidden = [lb.text for lb in t.labels if lb.kind == "hidden"]
        other = [f"{lb.lang}:{lb.text}" for lb in t.labels if lb.lang != "en" and lb.kind != "hidden"]
        writer.writerow(
            [
                t.id,
                t.preferred,
                t.status,
                t.definition,
                LIST_SEPARATOR.join(aliases),
                LIST_SEPARATOR.join(hidden),
                LIST_SEPARATOR.join(other),
                LIST_SEPARATOR.join(t.tags),
                LIST_SEPARATOR.join(t.related),
                LIST_SEPARATOR.join(t.broader),
                LIST_SEPARATOR.join(t.narrower),
                t.replaced_by or "",
                t.notes or "",
            ]
        )
    return out.getvalue()


def to_skos(glossary: Glossary, base_uri: str, syntax: str = "turtle") -> str:
    """The glossary as a SKOS concept scheme (prefLabel, altLabel, hiddenLabel per language)."""
    ns = Namespace(base_uri.rstrip("/") + "/")
    graph = Graph()
    graph.bind("skos", SKOS)
    graph.bind("dct", DCTERMS)
    scheme = URIRef(base_uri.rstrip("/"))
    graph.add((scheme, RDF.type, SKOS.ConceptScheme))
    for t in glossary.terms:
        concept = ns[t.id]
        graph.add((concept, RDF.type, SKOS.Concept))
        graph.add((concept, SKOS.inScheme, scheme))
        graph.add((concept, SKOS.definition, Literal(t.definition, lang="en")))
        if t.notes:
            graph.add((concept, SKOS.note, Literal(t.notes, lang="en")))
        for label in t.labels:
            predicate = {"preferred": SKOS.prefLabel, "alternative": SKOS.altLabel, "hidden": SKOS.hiddenLabel}[
                label.kind
            ]
            graph.add((concept, predicate, Literal(label.text, lang=label.lang)))
        for relation, predicate in (("related", SKOS.related), ("broader", SKOS.broader), ("narrower", SKOS.narrower)):
            for other in getattr(t, relation):
                graph.add((concept, predicate, ns[other]))
        if t.replaced_by:
            graph.add((concept, DCTERMS.isReplacedBy, ns[t.replaced_by]))
        if t.status == "deprecated":
            graph.add((concept, URIRef("http://www.w3.org/2002/07/owl#deprecated"), Literal(True)))
        for tag in t.tags:
            graph.add((concept, DCTERMS.subject, Literal(tag)))
    return graph.serialize(format="json-ld" if syntax == "json-ld" else "turtle")


def _split(cell: str) -> list[str]:
    return [part.strip() for part in (cell or "").split("|") if part.strip()]


def apply_csv(yaml_text: str, csv_text: str) -> str:
    """glossary.yaml text with the CSV's rows applied (comments and order kept; new terms appended)."""
    yaml = round_trip_yaml()
    data = yaml.load(yaml_text)
    terms = data["terms"]
    by_id = {t["id"]: t for t in terms}
    reader = csv.DictReader(io.StringIO(csv_text))
    if not reader.fieldnames or "id" not in reader.fieldnames:
        raise ValueError("the CSV needs a header row with an `id` column, as `glossary export` writes it")
    for row in reader:
        term_id = (row.get("id") or "").strip()
        if not term_id:
            continue
        entry: Any = by_id.get(term_id)
        if entry is None:
            entry = {"id": term_id}
            terms.append(entry)
            by_id[term_id] = entry
        _set(entry, "term", (row.get("term") or "").strip())
        _set(entry, "definition", (row.get("definition") or "").strip())
        status = (row.get("status") or "").strip()
        _set(entry, "status", None if status == "approved" and "status" not in entry else status)
        for column in ("aliases", "hidden", "tags", "related", "broader", "narrower"):
            if column in row:
                _set_list(entry, column, _split(row[column]))
        if "labels" in row:
            by_lang: dict[str, list[str]] = {}
            for item in _split(row["labels"]):
                lang, _, text = item.partition(":")
                by_lang.setdefault(lang.strip(), []).append(text.strip())
            _set(entry, "labels", by_lang or None)
        _set(entry, "replaced_by", (row.get("replaced_by") or "").strip())
        _set(entry, "notes", (row.get("notes") or "").strip())
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _set(entry: Any, key: str, value: Any) -> None:
    if value in (None, "", {}, []):
        if key in entry and key not in ("id", "term", "definition"):
            del entry[key]
        return
    if entry.get(key) != value:
        entry[key] = value


def _set_list(entry: Any, key: str, values: list[str]) -> None:
    current = entry.get(key)
    if current is not None and [v if isinstance(v, str) else v.get("label") for v in current] == values:
        return  # keep entries with statuses as they are when the labels did not change
    _set(entry, key, values)


def csv_import_diff(
    yaml_text: str, csv_text: str, path: str = "glossary.yaml", review: Review | None = None
) -> tuple[str, str]:
    """(new glossary text, unified diff); raises GlossaryInvalid if the result is invalid (checked
    with the curators' rejected matches, as the service serves it)."""
    new_text = apply_csv(yaml_text, csv_text)
    parse_glossary(with_review(new_text, review) if review is not None else new_text, path)
    diff = "".join(
        difflib.unified_diff(yaml_text.splitlines(True), new_text.splitlines(True), f"a/{path}", f"b/{path}")
    )
    return new_text, diff
