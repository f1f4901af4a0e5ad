"""Term tracking on a corpus with known dates and planted usage: exact counts, trends, bursts."""

from __future__ import annotations

import csv
import io
import subprocess
from pathlib import Path
from typing import Any

import pytest
import rdflib
from rdflib.namespace import SKOS

from index.backends.whoosh import WhooshIndex
from index.candidates import find_candidates
from index.corpus import read_corpus
from index.export import csv_import_diff, to_csv, to_skos
from index.history import changes_since, term_history
from index.store import Store
from index.tracking import cooccurring, deprecated_usage, movements, period_of, trend
from index.vocabulary import load_glossary
from tests.support import TOKEN

ROOT = Path(__file__).resolve().parents[1]
# Planted usage per month: (month, passages using "digital twin", passages using "AI factory", filler)
PLAN = [
    ("2025-01", 1, 0, 3),
    ("2025-02", 1, 1, 3),
    ("2025-03", 1, 1, 3),
    ("2025-04", 8, 1, 0),
    ("2025-05", 1, 2, 3),
    ("2025-06", 1, 3, 3),
]


@pytest.fixture
def tracked(tmp_path: Path) -> Store:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for month, twins, factories, filler in PLAN:
        paragraphs = [f"Report {i} on a digital twin." for i in range(twins)]
        paragraphs += [
            f"An AI factory, item {i}, with a digital replica."
            if i == 0 and month == "2025-06"
            else f"An AI factory, item {i}."
            for i in range(factories)
        ]
        paragraphs += [f"Nothing to see, item {i}." for i in range(filler)]
        (corpus / f"{month}.md").write_text(
            f"---\ndate: {month}-15\nsource: wire\n---\n" + "\n\n".join(paragraphs) + "\n"
        )
    (corpus / "old.md").write_text("---\ndate: 2025-03-02\nlang: en\n---\nThe AI plant and a virtual replica.\n")
    WhooshIndex(tmp_path / "ix").replace_all(
        read_corpus(corpus), load_glossary(ROOT / "tests" / "data" / "glossary.yaml")
    )
    return Store(WhooshIndex(tmp_path / "ix").snapshot())


def test_period_labels() -> None:
    assert (period_of("2025-05-22", "month"), period_of("2025-05-22", "year"), period_of("2025-05-22", "week")) == (
        "2025-05",
        "2025",
        "2025-W21",
    )


def test_usage_counts_and_first_last_seen(tracked: Store) -> None:
    usage = tracked.usage(tracked.term("digital-twin"))
    # 13 planted "digital twin", one "digital replica" (alias), one "virtual replica" (deprecated label)
    assert (usage.passages, usage.documents, usage.first_seen, usage.last_seen) == (15, 7, "2025-01-15", "2025-06-15")
    usage = tracked.usage(tracked.term("ai-factory"))
    assert (usage.passages, usage.first_seen) == (8, "2025-02-15")


def test_monthly_trend_normalised_with_burst(tracked: Store) -> None:
    periods = trend(tracked, tracked.term("digital-twin"), "month")
    assert [(p.period, p.count, p.corpus) for p in periods] == [
        ("2025-01", 1, 4),
        ("2025-02", 1, 5),
        ("2025-03", 2, 6),
        ("2025-04", 8, 9),
        ("2025-05", 1, 6),
        ("2025-06", 2, 7),
    ]
    assert [p.period for p in periods if p.burst] == ["2025-04"]
    assert periods[3].normalised == round(8 / 9, 6)


def test_yearly_and_weekly_trend(tracked: Store) -> None:
    assert [(p.period, p.count) for p in trend(tracked, tracked.term("ai-factory"), "year")] == [("2025", 8)]
    weeks = trend(tracked, tracked.term("ai-factory"), "week")
    assert weeks[0].period == "2025-W03" and sum(p.count for p in weeks) == 8 and len(weeks) == 22


def test_rising_and_falling(tracked: Store) -> None:
    moved = {m.term.id: m for m in movements(tracked, "month", window=2)}
    assert moved["ai-factory"].count_after == 5 and moved["ai-factory"].count_before == 2
    assert moved["ai-factory"].change > 0
    assert moved["digital-twin"].change < 0  # the April burst is in the earlier window


def test_cooccurrence(tracked: Store) -> None:
    (c,) = cooccurring(tracked, tracked.term("ai-factory"))
    assert (c.term.id, c.passages) == ("digital-twin", 1)
    assert "digital replica" in c.example.passage.text


def test_deprecated_usage(tracked: Store) -> None:
    uses = {(d.term.id, d.used_label, d.reason, d.use_instead) for d in deprecated_usage(tracked)}
    assert uses == {
        ("ai-plant", "AI plant", "deprecated term", "AI factory"),
        ("digital-twin", "virtual replica", "deprecated label", "digital twin"),
    }


def test_candidates_on_the_seed_articles(seeds_dir: Path) -> None:
    passages = []
    for doc in read_corpus(seeds_dir):
        passages.extend(doc.passages)
    from index.backends.base import StoredPassage

    stored = [StoredPassage(p.id, p.doc, p.ordinal, p.text, "", None, "en", None) for p in passages]
    found = [c.phrase.lower() for c in find_candidates(stored, load_glossary(ROOT / "glossary.yaml"), limit=40)]

    def rank(wanted: str) -> int:
        return next(i for i, phrase in enumerate(found) if wanted in phrase)

    assert rank("national ai computing power") < 10 and rank("gpu procurement") < 25, found[:25]
    generic = [
        g
        for g in ("tech firms", "industry source", "business network", "trade relations", "top priority", "real world")
        if g in found
    ]
    assert generic, "some generic phrases are candidates too"
    for g in generic:
        assert found.index(g) > rank("gpu procurement"), (g, found)
    assert "sovereign ai" not in found and "ai chips" not in found  # already labels
    assert "jensen huang" not in found and "south korea" not in found  # names are not candidates


def git(repo: Path, *args: str, date: str = "2025-01-01T10:00:00") -> None:
    subprocess.run(
        ["git", "-C", str(repo), *args],
        check=True,
        capture_output=True,
        env={
            "GIT_AUTHOR_NAME": "Ada",
            "GIT_AUTHOR_EMAIL": "ada@example.org",
            "GIT_COMMITTER_NAME": "Ada",
            "GIT_COMMITTER_EMAIL": "ada@example.org",
            "GIT_AUTHOR_DATE": date,
            "GIT_COMMITTER_DATE": date,
            "HOME": str(repo),
            "PATH": "/usr/bin:/bin",
        },
    )


def test_history_and_changes_from_git(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "-q")
    path = repo / "glossary.yaml"
    path.write_text("terms:\n  - id: gpu\n    term: GPU\n    definition: A chip.\n")
    git(repo, "add", ".")
    git(repo, "commit", "-qm", "Add GPU", date="2025-01-01T10:00:00")
    path.write_text(
        "terms:\n  - id: gpu\n    term: GPU\n    definition: A graphics processor.\n"
        "  - id: npu\n    term: NPU\n    definition: x\n"
    )
    git(repo, "commit", "-qam", "Better GPU definition; add NPU", date="2025-02-01T10:00:00")
    path.write_text(
        "terms:\n  - id: gpu\n    term: GPU\n    definition: A graphics processor.\n    aliases: [graphics card]\n"
    )
    git(repo, "commit", "-qam", "GPU alias; drop NPU", date="2025-03-01T10:00:00")
    changes = term_history(path, "gpu")
    assert [(c.kind, c.commit.message, c.fields) for c in changes] == [
        ("added", "Add GPU", ("definition", "id", "term")),
        ("changed", "Better GPU definition; add NPU", ("definition",)),
        ("changed", "GPU alias; drop NPU", ("aliases",)),
    ]
    assert changes[1].before["definition"] == "A chip." and changes[1].after["definition"] == "A graphics processor."
    assert changes[0].commit.author == "Ada"
    assert [c.kind for c in term_history(path, "npu")] == ["added", "removed"]
    since = changes_since(path, "2025-01-15")
    assert (since["added"], since["changed"], since["removed"]) == ([], ["gpu"], [])
    path.write_text(path.read_text() + "  - id: tpu\n    term: TPU\n    definition: y\n")
    assert changes_since(path, "HEAD~2")["added"] == ["tpu"]


def test_history_through_the_api(client: Any, glossary_file: Path) -> None:
    r = client.get("/api/terms/gpu/history")
    assert r.status_code == 404 and r.get_json()["error"]["code"] == "no_history"  # not a git repository
    git(glossary_file.parent, "init", "-q")
    git(glossary_file.parent, "add", "glossary.yaml")
    git(glossary_file.parent, "commit", "-qm", "first")
    body = client.get("/api/terms/gpu/history").get_json()
    assert [c["kind"] for c in body["changes"]] == ["added"] and body["changes"][0]["commit"]["message"] == "first"
    assert client.get("/api/changes?since=HEAD").get_json()["changed"] == []
    assert client.get("/api/changes?since=not-a-date").status_code == 400
    assert client.get("/api/changes?since=abcdef0").status_code == 404  # no such commit


def test_skos_export_parses_back(client: Any) -> None:
    glossary = load_glossary(ROOT / "glossary.yaml")
    graph = rdflib.Graph().parse(data=to_skos(glossary, "https://glossary.example/terms/"), format="turtle")
    twin = rdflib.URIRef("https://glossary.example/terms/digital-twin")
    assert rdflib.Literal("digital twin", lang="en") in set(graph.objects(twin, SKOS.prefLabel))
    assert rdflib.Literal("디지털 트윈", lang="ko") in set(graph.objects(twin, SKOS.prefLabel))
    assert rdflib.Literal("digitial twin", lang="en") in set(graph.objects(twin, SKOS.hiddenLabel))
    assert rdflib.Literal("digital replica", lang="en") in set(graph.objects(twin, SKOS.altLabel))
    assert rdflib.URIRef("https://glossary.example/terms/physical-ai") in set(graph.objects(twin, SKOS.related))
    assert len(set(graph.subjects(rdflib.RDF.type, SKOS.Concept))) == len(glossary)
    r = client.get("/api/export?format=skos&syntax=json-ld")
    assert r.mimetype == "application/ld+json"
    parsed = rdflib.Graph().parse(data=r.get_data(as_text=True), format="json-ld")
    assert len(set(parsed.subjects(rdflib.RDF.type, SKOS.Concept))) == 4


def test_csv_export_and_import_dry_run(app: Any, client: Any, glossary_file: Path) -> None:
    r = client.get("/api/export?format=csv")
    rows = list(csv.DictReader(io.StringIO(r.get_data(as_text=True))))
    twin = next(row for row in rows if row["id"] == "digital-twin")
    assert twin["aliases"] == "digital replica | virtual replica" and twin["labels"] == "ko:디지털 트윈"
    twin["definition"] = "A new definition."
    rows.append({"id": "npu", "term": "NPU", "definition": "A neural processor.", "tags": "hardware"})
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    before = glossary_file.read_text()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    dry = client.post("/api/import", data=out.getvalue(), content_type="text/csv", headers=auth).get_json()
    assert (
        dry["written"] is False
        and "+    definition: A new definition." in dry["diff"]
        and "+  - id: npu" in dry["diff"]
    )
    assert "# A small glossary for tests" not in dry["diff"]  # comments are kept, so not in the diff
    assert glossary_file.read_text() == before
    done = client.post(
        "/api/import?dry_run=false", data=out.getvalue(), content_type="text/csv", headers=auth
    ).get_json()
    assert done["written"] is True and "# A small glossary for tests" in glossary_file.read_text()
    app.extensions["glossary"].writer.run_once()  # the background writer stores the new glossary
    assert client.get("/api/terms/npu").status_code == 200
    bad = "id,term,definition\nbroken,,\n"
    assert client.post("/api/import", data=bad, content_type="text/csv", headers=auth).status_code == 422


def test_csv_round_trip_changes_nothing() -> None:
    text = (ROOT / "glossary.yaml").read_text()
    new_text, diff = csv_import_diff(text, to_csv(load_glossary(ROOT / "glossary.yaml")))
    assert diff == "" and new_text == text


def test_tracking_endpoints(client: Any) -> None:
    trend_body = client.get("/api/terms/digital-twin/trend?interval=month").get_json()
    assert [(p["period"], p["count"]) for p in trend_body["periods"]] == [
        ("2025-01", 1),
        ("2025-02", 0),
        ("2025-03", 1),
    ]
    assert client.get("/api/terms/digital-twin/trend?interval=day").status_code == 400
    assert client.get("/api/trends?interval=month&top=3&window=1").status_code == 200
    co = client.get("/api/terms/digital-twin/cooccurring").get_json()
    assert [c["term"] for c in co["cooccurring"]] == ["ai-factory"]
    report = client.get("/api/reports/deprecated").get_json()
    assert [u["term"] for u in report["uses"]] == ["ai-plant"]
    cands = client.get("/api/candidates?limit=5").get_json()["candidates"]
    assert len(cands) <= 5 and all("phrase" in c for c in cands)
