"""The review queue: a curator rejects or confirms a term's match in a passage (review.yaml).

A rejected match leaves the term's usage everywhere (passages, counts, trends, co-occurrence),
survives re-indexing and edits elsewhere in the document, and can be undone or turned into a
`no_match` example of the term.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from index.corpus import read_corpus
from index.review import load_review
from index.text import passage_fingerprint
from index.vocabulary import load_glossary
from tests.support import TOKEN

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def usage(client: Any) -> tuple[int, list[str]]:
    found = client.get("/api/terms/digital-twin/passages?limit=100").get_json()
    return found["total"], [p["passage"] for p in found["passages"]]


def test_a_rejected_match_leaves_the_terms_usage_and_can_be_undone(
    client: Any, app: Any, glossary_file: Path, corpus_dir: Path
) -> None:
    writer = app.extensions["glossary"].writer
    total, passages = usage(client)
    passages_stat = client.get("/api/terms/digital-twin").get_json()["usage"]["passages"]
    target = passages[0]
    r = client.post("/api/terms/digital-twin/reviews", json={"passage": target, "verdict": "reject", "by": "kim"})
    assert r.status_code == 401
    r = client.post(
        "/api/terms/digital-twin/reviews", json={"passage": target, "verdict": "reject", "by": "kim"}, headers=AUTH
    )
    assert r.status_code == 200, r.get_json()
    verdict = r.get_json()
    assert (verdict["verdict"], verdict["by"], verdict["doc"]) == ("reject", "kim", target.rsplit(":", 1)[0])
    writer.run_once()  # the writer re-matches what the decision changes
    after, left = usage(client)
    assert after == total - 1 and target not in left
    assert client.get("/api/terms/digital-twin").get_json()["usage"]["passages"] == passages_stat - 1
    # An edit elsewhere in the corpus, and a rebuild from scratch, keep the decision.
    client.put("/api/documents/other", json={"text": "A digital twin of a port."}, headers=AUTH)
    writer.run_once()
    assert target not in usage(client)[1]
    review = glossary_file.parent / "review.yaml"
    index = app.extensions["glossary"].index  # whoosh or PostgreSQL
    index.replace_all(read_corpus(corpus_dir), load_glossary(glossary_file, review_path=review))
    assert target not in usage(client)[1]
    # Undo: the match counts again.
    fingerprint = verdict["fingerprint"]
    assert client.delete(f"/api/terms/digital-twin/reviews/{fingerprint}", headers=AUTH).status_code == 204
    assert client.delete(f"/api/terms/digital-twin/reviews/{fingerprint}", headers=AUTH).status_code == 404
    writer.run_once()
    assert target in usage(client)[1]


def test_a_rejection_becomes_a_no_match_example_and_confirmations_are_listed(
    client: Any, app: Any, glossary_file: Path
) -> None:
    writer = app.extensions["glossary"].writer
    _, passages = usage(client)
    rejected, confirmed = passages[0], passages[1]
    client.post("/api/terms/digital-twin/reviews", json={"passage": rejected, "verdict": "reject"}, headers=AUTH)
    r = client.post("/api/terms/digital-twin/reviews", json={"passage": confirmed, "verdict": "confirm"}, headers=AUTH)
    assert r.status_code == 200
    listed = client.get("/api/terms/digital-twin/reviews").get_json()["verdicts"]
    assert sorted(v["verdict"] for v in listed) == ["confirm", "reject"]
    fingerprint = next(v["fingerprint"] for v in listed if v["verdict"] == "reject")
    r = client.post(f"/api/terms/digital-twin/reviews/{fingerprint}/no-match", headers=AUTH)
    assert r.status_code == 200 and r.get_json()["written"], r.get_json()
    text = next(v["text"] for v in listed if v["verdict"] == "reject")
    assert passage_fingerprint(text) == fingerprint
    glossary = load_glossary(glossary_file, review_path=glossary_file.parent / "review.yaml")
    assert text in glossary.get("digital-twin").examples_no_match  # checked with the rejection: valid
    writer.run_once()
    assert rejected not in usage(client)[1]
    assert client.post("/api/terms/digital-twin/reviews/0000000000000000/no-match", headers=AUTH).status_code == 404
    r = client.post("/api/terms/digital-twin/reviews", json={"passage": "nope:1", "verdict": "reject"}, headers=AUTH)
    assert r.status_code == 404
    assert len(load_review(glossary_file.parent / "review.yaml").rejected_matches) == 1


def test_the_cli_reviews_a_match_and_build_leaves_it_out(tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from service.cli import main
    from tests.support import DATA

    shutil.copytree(DATA / "corpus", tmp_path / "corpus")
    common = ["--index", str(tmp_path / "index")]
    review = ["--review", str(tmp_path / "review.yaml")]
    glossary = ["--glossary", str(DATA / "glossary.yaml")]
    run = CliRunner().invoke
    assert (
        run(main, ["build", "--quiet", *glossary, *review, "--corpus", str(tmp_path / "corpus"), *common]).exit_code
        == 0
    )
    before = run(main, ["stats", *glossary, *common]).output
    result = run(main, ["review-match", *common, *review, "digital-twin", "alpha:1", "reject"])
    assert result.exit_code == 0 and result.output.startswith("rejected: digital-twin in alpha:1"), result.output
    result = run(main, ["build", "--quiet", *glossary, *review, "--corpus", str(tmp_path / "corpus"), *common])
    assert result.exit_code == 0 and "re-matched" in result.output, result.output
    after = run(main, ["stats", *glossary, *common]).output
    assert before != after
    result = run(main, ["review-match", *common, *review, "digital-twin", "alpha:1", "undo"])
    assert result.exit_code == 0 and result.output.startswith("undone")
    assert run(main, ["review-match", *common, *review, "digital-twin", "nope:1", "reject"]).exit_code == 1


def test_rejecting_an_example_sentence_of_the_term_is_refused(client: Any, glossary_file: Path) -> None:
    body = {"text": "디지털 트윈을 만들었다.", "title": "example"}  # an examples.match sentence of the term
    assert client.put("/api/documents/example", json=body, headers=AUTH).status_code == 201
    r = client.post("/api/terms/digital-twin/reviews", json={"passage": "example:1", "verdict": "reject"}, headers=AUTH)
    assert r.status_code == 422 and r.get_json()["error"]["code"] == "invalid_glossary"
    assert load_review(glossary_file.parent / "review.yaml").rejected_matches == ()
