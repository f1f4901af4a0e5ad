"""Alias suggestions on sentences of our own, English and Korean, with look-alikes that must not
be suggested."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from index.aliases import short_form_in_long_form, spelling_variants, suggest_aliases
from index.backends.base import StoredPassage
from index.vocabulary import glossary_from_text, matcher_for

GLOSSARY = """terms:
  - id: npu
    term: neural processing unit
    definition: A processor built for the arithmetic of neural networks.
  - id: hbm
    term: high-bandwidth memory
    definition: Stacked DRAM beside a processor.
  - id: digital-twin
    term: digital twin
    definition: A live virtual model of a physical system.
    labels:
      ko: [디지털 트윈]
  - id: national-ai-computing-centre
    term: national AI computing centre
    definition: A state-funded data centre for AI research.
  - id: model-localisation
    term: model localisation
    definition: Adapting a model to a language and a market.
  - id: llm
    term: large language model
    definition: A neural network trained on text at scale.
  - id: foundation-model-old
    term: base language model
    definition: See large language model.
  - id: gpu
    term: GPU
    definition: A graphics processing unit.
    aliases: [graphics processing unit]
"""


def passages(*texts: str, doc: str = "d1") -> list[StoredPassage]:
    return [StoredPassage(f"{doc}:{i}", doc, i, t, "t", None, "en", None) for i, t in enumerate(texts, 1)]


def found(texts: list[StoredPassage]) -> dict[tuple[str, str, str], float]:
    glossary = glossary_from_text(GLOSSARY)
    return {(s.term, s.alias, s.kind): s.score for s in suggest_aliases(texts, glossary, matcher_for(glossary))}


def test_schwartz_hearst_on_the_papers_kind_of_examples() -> None:
    assert short_form_in_long_form("HSF", "heat shock transcription factor")
    assert short_form_in_long_form("NPU", "neural processing unit")
    assert short_form_in_long_form("HBM", "high-bandwidth memory")
    assert short_form_in_long_form("TNF", "tumor necrosis factor")
    assert not short_form_in_long_form("GPUs", "graphics processors")  # no u after the p
    assert not short_form_in_long_form("XYZ", "neural processing unit")
    assert not short_form_in_long_form("2024", "a record year")  # no letter


def test_abbreviations_defined_either_way_round_in_english_and_korean() -> None:
    got = found(
        passages(
            "The neural processing unit (NPU) runs the model on the phone.",
            "Each accelerator carries HBM (high-bandwidth memory) beside the die.",
            "정부는 디지털 트윈(DT) 사업을 확대한다고 밝혔다.",
        )
    )
    assert ("npu", "NPU", "abbreviation") in got
    assert ("hbm", "HBM", "abbreviation") in got
    assert ("digital-twin", "DT", "abbreviation") in got


def test_parentheses_that_are_not_abbreviations_are_not_suggested() -> None:
    got = found(
        passages(
            "The neural processing unit (2024) was faster.",  # a year
            "They bought a GPU (graphics processors are scarce) last week.",  # a clause
            "A neural processing unit (see below) helps.",  # lower-case words
            "The neural processing unit (GPU) confusion again.",  # another term's label
            "The neural processing unit (XYZ) is not its abbreviation.",  # fails Schwartz-Hearst
        )
    )
    assert not [k for k in got if k[2] == "abbreviation"], got


def test_short_forms_after_the_full_label_in_the_same_document() -> None:
    got = found(
        passages(
            "The national AI computing centre opened in Gwangju this spring.",
            "Researchers say the computing centre already runs at capacity.",
            doc="a",
        )
        + passages("Nobody mentioned the computing centre before the full name here.", doc="b")
    )
    assert got.get(("national-ai-computing-centre", "computing centre", "short-form")) is not None
    # The full label appears only in document a: document b's use is not evidence.
    glossary = glossary_from_text(GLOSSARY)
    texts = passages(
        "The national AI computing centre opened in Gwangju this spring.",
        "Researchers say the computing centre already runs at capacity.",
        doc="a",
    ) + passages("Nobody mentioned the computing centre before the full name here.", doc="b")
    (suggestion,) = [s for s in suggest_aliases(texts, glossary, matcher_for(glossary)) if s.kind == "short-form"]
    assert suggestion.documents == 1


def test_spelling_variants_the_matcher_does_not_accept() -> None:
    assert "model localization" in spelling_variants("model localisation")
    assert "national AI computing center" in spelling_variants("national AI computing centre")
    assert "디지탈 트윈" in spelling_variants("디지털 트윈")
    got = found(passages("Teams work on model localization for Korean.", "디지탈 트윈 기술이 주목받는다."))
    assert ("model-localisation", "model localization", "spelling") in got
    assert ("digital-twin", "디지탈 트윈", "spelling") in got


def test_cross_reference_entries_are_suggested_as_merges() -> None:
    glossary = glossary_from_text(GLOSSARY)
    (merge,) = [s for s in suggest_aliases([], glossary, matcher_for(glossary)) if s.kind == "cross-reference"]
    assert (merge.term, merge.alias, merge.merge, merge.confident) == (
        "llm",
        "base language model",
        "foundation-model-old",
        True,
    )


def test_rejected_suggestions_are_not_suggested_again() -> None:
    glossary = glossary_from_text(GLOSSARY)
    texts = passages("The neural processing unit (NPU) runs the model.")
    assert [s.alias for s in suggest_aliases(texts, glossary, matcher_for(glossary))] == ["base language model", "NPU"]
    kept = suggest_aliases(
        texts, glossary, matcher_for(glossary), rejected=[("npu", "NPU"), ("llm", "Base language model")]
    )
    assert kept == []


# -- accepting and rejecting ------------------------------------------------------------------
def test_accepting_an_alias_keeps_the_files_comments_and_refuses_another_terms_label() -> None:
    from index.curation import add_alias, merge_entry
    from index.errors import AliasConflict, GlossaryInvalid

    text = GLOSSARY.replace("  - id: npu\n", "  # processors first\n  - id: npu\n")
    edited = add_alias(text, "npu", "NPU")
    assert "# processors first" in edited and "aliases:\n      - NPU" in edited or "aliases: [NPU]" in edited
    assert [lb.text for lb in glossary_from_text(edited).get("npu").labels][-1] == "NPU"
    korean = add_alias(text, "digital-twin", "디지탈 트윈", status="deprecated")
    assert ("디지탈 트윈", "deprecated") in [
        (lb.text, lb.status) for lb in glossary_from_text(korean).get("digital-twin").labels
    ]
    assert add_alias(edited, "npu", "npu") == edited  # already there (case-folded)
    with pytest.raises(AliasConflict) as conflict:
        add_alias(text, "npu", "graphics processing unit")
    assert conflict.value.other == "gpu"
    with pytest.raises(GlossaryInvalid):
        add_alias(text, "npu", "x" * 300)  # longer than a label may be
    merged = glossary_from_text(merge_entry(text, "llm", "foundation-model-old"))
    assert "foundation-model-old" not in {t.id for t in merged.terms}
    assert "base language model" in [lb.text for lb in merged.get("llm").labels]


def test_rejections_are_kept_in_review_yaml_and_read_back(tmp_path: Path) -> None:
    from index.review import load_review, reject_alias

    review = tmp_path / "review.yaml"
    assert load_review(review).rejected_aliases == ()
    assert reject_alias(review, "npu", "NPU", by="kim")
    assert not reject_alias(review, "npu", "npu")  # the same, case-folded
    assert load_review(review).rejected_aliases == (("npu", "NPU"),)
    assert "by: kim" in review.read_text()
    review.write_text("rejected_aliases:\n  - term: npu\n    alias: NPU\n    colour: red\n")
    from index.errors import ReviewInvalid

    with pytest.raises(ReviewInvalid, match="review.yaml:4: field rejected_aliases.0.colour"):
        load_review(review)


# -- the API ----------------------------------------------------------------------------------


def test_suggestions_are_computed_in_the_background_then_accepted_or_rejected(
    client: Any, app: Any, glossary_file: Path
) -> None:
    from tests.support import TOKEN

    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"text": "The digital twin (DT) of the plant runs all night. Engineers trust the DT now.", "title": "t"}
    assert client.put("/api/documents/dt-note", json=body, headers=auth).status_code == 201
    writer = app.extensions["glossary"].writer
    before = client.get("/api/suggestions/aliases?term=digital-twin").get_json()
    assert before["current"] is False  # never computed on a request
    writer.run_once(force_derived=True)
    found = client.get("/api/suggestions/aliases?term=digital-twin&kind=abbreviation").get_json()
    assert found["current"] and [s["alias"] for s in found["suggestions"]] == ["DT"]
    (dt,) = found["suggestions"]
    assert dt["examples"][0]["text"][dt["examples"][0]["start"] : dt["examples"][0]["end"]] == "DT"
    # Another term's label: 409 naming it. A bad status: 422.
    r = client.post("/api/terms/digital-twin/aliases", json={"alias": "GPU"}, headers=auth)
    assert r.status_code == 409 and r.get_json()["error"]["details"]["term"] == "gpu"
    assert client.post("/api/terms/digital-twin/aliases", json={"alias": "DT"}).status_code == 401
    r = client.post("/api/terms/digital-twin/aliases", json={"alias": "DT"}, headers=auth)
    assert (
        r.status_code == 200
        and r.get_json()["written"]
        and "+      - DT" in r.get_json()["diff"]
        or "DT" in r.get_json()["diff"]
    )
    assert "DT" in glossary_file.read_text()
    # Live like any edit: the writer re-matches, and the alias's passages appear.
    writer.run_once(force_derived=True)
    passages = client.get("/api/terms/digital-twin/passages").get_json()["passages"]
    assert any(p["doc"] == "dt-note" for p in passages)
    assert client.get("/api/suggestions/aliases?term=digital-twin&kind=abbreviation").get_json()["suggestions"] == []
    # Rejected: recorded in review.yaml, not suggested again.
    body = {"text": "A graphics processing unit (GPGPU) is general purpose.", "title": "g"}
    client.put("/api/documents/gpgpu", json=body, headers=auth)
    r = client.post("/api/suggestions/aliases/rejections", json={"term": "gpu", "alias": "GPGPU"}, headers=auth)
    assert r.status_code == 200 and r.get_json()["recorded"]
    writer.run_once(force_derived=True)
    assert "GPGPU" not in [s["alias"] for s in client.get("/api/suggestions/aliases").get_json()["suggestions"]]
    assert "alias: GPGPU" in (glossary_file.parent / "review.yaml").read_text()


def test_the_cli_suggests_accepts_and_rejects(tmp_path: Path) -> None:
    import shutil

    from click.testing import CliRunner

    from service.cli import main
    from tests.support import DATA

    glossary = tmp_path / "glossary.yaml"
    glossary.write_text(GLOSSARY)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "npu.md").write_text("The neural processing unit (NPU) sits beside the CPU.\n\nEach NPU is small.\n")
    shutil.copy(DATA / "corpus" / "alpha.md", corpus / "alpha.md")
    where = ["--index", str(tmp_path / "index")]
    run = CliRunner().invoke
    assert run(main, ["build", "--quiet", "--glossary", str(glossary), "--corpus", str(corpus), *where]).exit_code == 0
    review = ["--review", str(tmp_path / "review.yaml")]
    result = run(main, ["suggest-aliases", *where, *review])
    assert result.exit_code == 0 and "npu\tNPU\tabbreviation" in result.output, result.output
    assert "llm\tbase language model\tcross-reference (merges foundation-model-old)" in result.output
    result = run(main, ["accept-alias", "--glossary", str(glossary), "npu", "NPU"])
    assert result.exit_code == 0 and "+" in result.output and "NPU" in glossary.read_text()
    result = run(main, ["accept-alias", "--glossary", str(glossary), "npu", "GPU"])
    assert result.exit_code == 1 and "term 'gpu'" in result.output
    result = run(main, ["reject-alias", *review, "llm", "base language model"])
    assert result.exit_code == 0 and "recorded" in result.output
    result = run(main, ["suggest-aliases", *where, *review])
    assert "base language model" not in result.output
