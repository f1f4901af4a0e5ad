"""glossary.yaml validation: every problem at once, each with file, line, term and field."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.errors import GlossaryInvalid
from index.vocabulary import load_glossary, parse_glossary

ROOT = Path(__file__).resolve().parents[1]


def problems(text: str) -> list[tuple[int | None, str | None, str | None, str]]:
    with pytest.raises(GlossaryInvalid) as caught:
        parse_glossary(text, "g.yaml")
    return [(p.line, p.term, p.field, p.message) for p in caught.value.problems]


def test_project_glossary_is_valid_and_large_enough() -> None:
    glossary = load_glossary(ROOT / "glossary.yaml")
    assert len(glossary) >= 30
    required = [
        "sovereign AI",
        "physical AI",
        "digital twin",
        "AI factory",
        "hyperscale AI",
        "large language model",
        "foundation model",
        "GPU",
        "AI accelerator",
        "AI infrastructure",
        "AI data centre",
        "national AI computing centre",
        "private 5G",
        "robotics",
        "autonomous vehicle",
        "smart factory",
        "data sovereignty",
        "AI hub",
        "AI chip export controls",
        "AI model localisation",
    ]
    names = {t.preferred for t in glossary}
    assert not [r for r in required if r not in names]


def test_every_project_term_has_examples_both_ways_and_korean_where_labelled() -> None:
    glossary = load_glossary(ROOT / "glossary.yaml")
    for term in glossary:
        assert term.examples_match and term.examples_no_match, term.id
        if "ko" in term.languages:
            hangul = [s for s in term.examples_match if any("\uac00" <= c <= "\ud7a3" for c in s)]
            assert hangul, f"{term.id} has Korean labels but no Korean match example"


def test_minimal_file_is_valid() -> None:
    g = parse_glossary("terms:\n  - id: gpu\n    term: GPU\n    definition: A processor.\n")
    assert g.get("gpu") is not None and g.get("gpu").status == "approved"


def test_unknown_field_names_line_term_and_field() -> None:
    text = "terms:\n  - id: gpu\n    term: GPU\n    definition: x\n    colour: red\n"
    assert problems(text) == [(5, "gpu", "colour", "Unknown field.")]


def test_missing_definition_and_wrong_type_reported_together() -> None:
    text = "terms:\n  - id: gpu\n    term: GPU\n  - id: npu\n    term: NPU\n    definition: y\n    tags: 5\n"
    found = problems(text)
    assert (2, "gpu", "definition", "Missing data for required field.") in found
    assert (7, "npu", "tags", "Not a valid list.") in found


def test_duplicate_id_and_label_claimed_twice() -> None:
    text = (
        "terms:\n"
        "  - id: gpu\n    term: GPU\n    definition: a\n"
        "  - id: gpu\n    term: graphics card\n    definition: b\n"
        "  - id: card\n    term: Graphics-Card\n    definition: c\n"
    )
    found = problems(text)
    assert any(p[1] == "gpu" and p[2] == "id" and "duplicate id" in p[3] and p[0] == 5 for p in found)
    assert any(p[1] == "card" and p[2] == "labels" and "also a label of term 'gpu'" in p[3] for p in found)


def test_relations_must_resolve() -> None:
    text = (
        "terms:\n  - id: gpu\n    term: GPU\n    definition: a\n    related: [tpu]\n"
        "    broader: [gpu]\n    status: deprecated\n    replaced_by: nothing\n"
    )
    found = problems(text)
    assert (5, "gpu", "related", "unknown term id 'tpu'") in found
    assert (6, "gpu", "broader", "a term cannot point at itself") in found
    assert (8, "gpu", "replaced_by", "unknown term id 'nothing'") in found


def test_replacement_only_for_deprecated_terms() -> None:
    text = "terms:\n  - id: a\n    term: A thing\n    definition: a\n    replaced_by: a\n"
    assert any(p[2] == "replaced_by" and "only a deprecated term" in p[3] for p in problems(text))


def test_label_entries_and_statuses_are_validated() -> None:
    text = (
        "terms:\n  - id: a\n    term: A thing\n    definition: a\n"
        "    aliases: [{label: x, status: old}]\n    labels: {KO: [y]}\n"
    )
    found = problems(text)
    assert any(p[2] and p[2].startswith("aliases") and "Must be one of" in p[3] for p in found)
    assert any(p[2] and p[2].startswith("labels") and "language code" in p[3] for p in found)


def test_examples_that_do_not_behave_fail_naming_term_and_sentence() -> None:
    text = (
        "terms:\n  - id: gpu\n    term: GPU\n    definition: a\n"
        "    examples:\n      match: [The CPU is busy.]\n      no_match: [Ten GPUs arrived.]\n"
    )
    found = problems(text)
    assert any(p[1] == "gpu" and p[2] == "examples.match" and "The CPU is busy." in p[3] for p in found)
    assert any(p[1] == "gpu" and p[2] == "examples.no_match" and "'GPUs'" in p[3] for p in found)


def test_malformed_yaml_names_the_line() -> None:
    found = problems("terms:\n  - id: gpu\n    term: [unclosed\n    definition: x\n")
    assert found[0][0] is not None and found[0][0] >= 3


def test_not_a_mapping_and_terms_missing() -> None:
    assert problems("- just\n- a list\n")[0][3].startswith("the file must be a mapping")
    assert problems("title: x\n") == [(1, None, "terms", "Missing data for required field.")]


def test_alias_bomb_is_rejected_fast() -> None:
    bomb = (
        "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
        "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c]\nterms: []\n"
    )
    found = problems(bomb)
    assert "anchors are not allowed" in found[0][3] or "aliases are not allowed" in found[0][3]


def test_oversized_file_is_rejected_without_parsing(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("w") as out:
        out.write("terms:\n")
        out.write("# padding\n" * 6_000_000)  # ~60 MB
    with pytest.raises(GlossaryInvalid) as caught:
        load_glossary(big)
    assert "larger than the limit" in str(caught.value)


def test_non_utf8_file_is_reported(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_bytes(b"terms:\n  - id: caf\xe9\n")
    with pytest.raises(GlossaryInvalid, match="not UTF-8"):
        load_glossary(bad)


def test_labels_model_kinds_and_statuses() -> None:
    glossary = load_glossary(ROOT / "tests" / "data" / "glossary.yaml")
    twin = glossary.get("digital-twin")
    kinds = {(lb.text, lb.lang, lb.kind, lb.status) for lb in twin.labels}
    assert ("digital twin", "en", "preferred", "preferred") in kinds
    assert ("virtual replica", "en", "alternative", "deprecated") in kinds
    assert ("digitial twin", "en", "hidden", "admitted") in kinds
    assert ("디지털 트윈", "ko", "preferred", "preferred") in kinds
    assert "digitial twin" not in {lb.text for lb in twin.visible_labels()}
