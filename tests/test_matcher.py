"""The matcher: recall over word forms, precision over word edges, exact spans and rules."""

from __future__ import annotations

import pytest

from index.glossary import parse_terms
from index.matcher import leftmost_longest
from index.vocabulary import matcher_for

# Every test here runs on the compiled matcher and on its Python reference.
pytestmark = pytest.mark.usefixtures("matcher_path")

GLOSSARY = parse_terms(
    """
terms:
  - id: digital-twin
    term: digital twin
    definition: d
    aliases: [digital replica, {label: DT, case_sensitive: true}]
    labels: {ko: [디지털 트윈]}
  - id: ai-factory
    term: AI factory
    definition: d
    labels: {ko: [AI 팩토리]}
  - id: gpu
    term: GPU
    definition: d
  - id: foundation-model
    term: foundation model
    definition: d
  - id: python
    term: python
    definition: d
  - id: import
    term: import
    definition: d
  - id: generator
    term: generator
    definition: d
  - id: f-string
    term: f-string
    definition: d
  - id: analysis
    term: data analysis
    definition: d
  - id: sovereign-ai
    term: sovereign AI
    definition: d
    labels: {ko: [소버린 AI]}
"""
)
MATCHER = matcher_for(GLOSSARY)


def found(text: str) -> list[tuple[str, str, str]]:
    return [(m.term, text[m.start : m.end], m.rule) for m in MATCHER.match(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A digital twin.", [("digital-twin", "digital twin", "exact")]),
        ("Digital Twins everywhere", [("digital-twin", "Digital Twins", "inflection")]),
        ("two AI factories", [("ai-factory", "AI factories", "inflection")]),
        ("the GPU's fans", [("gpu", "GPU's", "inflection")]),
        ("the GPU’s fans", [("gpu", "GPU’s", "inflection")]),
        ("ten GPUs.", [("gpu", "GPUs", "inflection")]),
        ("the GPUs' fans", [("gpu", "GPUs", "inflection")]),
        ("foundation models", [("foundation-model", "foundation models", "inflection")]),
        ("an AI-factory plan", [("ai-factory", "AI-factory", "variant")]),
        ("about sovereign-AI.", [("sovereign-ai", "sovereign-AI", "variant")]),
        ("a DIGITAL TWIN", [("digital-twin", "DIGITAL TWIN", "case")]),
        ("digital  twin", [("digital-twin", "digital  twin", "variant")]),
        ("digital\ntwin", [("digital-twin", "digital\ntwin", "variant")]),
        (
            "(digital twin, AI factory)",
            [("digital-twin", "digital twin", "exact"), ("ai-factory", "AI factory", "exact")],
        ),
        ("'digital twins'—simulated", [("digital-twin", "digital twins", "inflection")]),
        ("many data analyses", [("analysis", "data analyses", "inflection")]),
        ("the DT is live", [("digital-twin", "DT", "exact")]),
        ("an f-string and an f string", [("f-string", "f-string", "exact"), ("f-string", "f string", "variant")]),
    ],
)
def test_matches(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Pythonic code",
        "an importer of goods",
        "general purpose",
        "a generatorless design",
        "the Twins won",
        "GPUDirect storage",
        "digital twinning",
        "AI factorial design",
        "dt is lower case",
        "a string",
        "DTS and dts",
        "sovereignty of AI",
        "digitaltwin",
        "AIfactory",
    ],
)
def test_no_false_hits(text: str) -> None:
    assert found(text) == []


def test_stemmer_style_merges_do_not_happen() -> None:
    assert found("Pythonic importer generators general") == [("generator", "generators", "inflection")]


def test_case_sensitive_label_requires_case() -> None:
    assert found("dt and Dt and DT") == [("digital-twin", "DT", "exact")]


def test_span_points_into_original_text_when_folding_moves_characters() -> None:
    text = "x\u200b digital\u00a0\u00a0twin, İstanbul digital twin"
    spans = [(text[m.start : m.end], m.term) for m in MATCHER.match(text)]
    assert spans == [("digital\u00a0\u00a0twin", "digital-twin"), ("digital twin", "digital-twin")]


def test_overlapping_terms_are_all_found_and_leftmost_longest_keeps_the_first() -> None:
    matches = MATCHER.match("sovereign AI factory")
    assert [(m.term, m.start, m.end, m.nested) for m in matches] == [
        ("sovereign-ai", 0, 12, False),
        ("ai-factory", 10, 20, False),  # overlapping, not inside: not nested
    ]
    assert [(m.term, m.start, m.end) for m in leftmost_longest(matches)] == [("sovereign-ai", 0, 12)]


def test_every_match_has_label_and_rule() -> None:
    (m,) = MATCHER.match("Digital Replicas")
    assert (m.label, m.rule, m.start, m.end) == ("digital replica", "inflection", 0, 16)
