"""The matching rules of real text (README, "Matching"): nested terms, punctuation that is part of
a label, code that is not prose, Korean 하다/copula endings, Korean compounds spaced both ways.
Sentences of our own, written the way news and technical documentation write them."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from index.glossary import parse_terms
from index.matcher import leftmost_longest
from index.vocabulary import matcher_for
from service import create_app
from service.cli import main

# Every test here runs on the compiled matcher and on its Python reference.
pytestmark = pytest.mark.usefixtures("matcher_path")

GLOSSARY = parse_terms(
    """terms:
  - {id: gpu, term: GPU, definition: d}
  - {id: gpu-cluster, term: GPU cluster, definition: d}
  - {id: sovereign-ai, term: sovereign AI, definition: d}
  - {id: ai-factory, term: AI factory, definition: d, labels: {ko: [AI 팩토리]}}
  - {id: edge-ai, term: edge AI, definition: d}
  - {id: ai-chip, term: AI chip, definition: d}
  - {id: chip-export-controls, term: AI chip export controls, aliases: [chip export controls], definition: d}
  - {id: cpp, term: C++, definition: d}
  - {id: dotnet, term: .NET, definition: d}
  - {id: csharp, term: C#, definition: d}
  - {id: init, term: __init__, definition: d}
  - {id: prompt, term: ">>>", definition: d}
  - {id: wifi, term: Wi-Fi 6E, definition: d}
  - {id: digital-twin, term: digital twin, definition: d, labels: {ko: [디지털 트윈]}}
  - {id: foundation, term: foundation, definition: d}
  - {id: type, term: type, definition: d}
  - {id: content-type, term: Content-Type, definition: d}
  - {id: autonomous-driving, term: autonomous driving, definition: d, labels: {ko: [자율 주행]}}
  - {id: bot, term: bot, definition: d, labels: {ko: [봇]}}
  - {id: chip, term: chip, definition: d, labels: {ko: [칩]}}
  - {id: data-centre, term: data centre, definition: d, labels: {ko: [데이터센터]}}
  - {id: ai, term: artificial intelligence, definition: d, labels: {ko: [인공지능]}}
"""
)
MATCHER = matcher_for(GLOSSARY)


def found(text: str) -> list[tuple[str, str, bool]]:
    return [(m.term, text[m.start : m.end], m.nested) for m in MATCHER.match(text)]


def terms(text: str) -> set[str]:
    return {m.term for m in MATCHER.match(text)}


# -- 1. nested and overlapping terms -------------------------------------------------------------
def test_a_term_inside_a_longer_one_is_found_and_marked_nested() -> None:
    assert found("The new GPU cluster in Daejeon went live.") == [
        ("gpu-cluster", "GPU cluster", False),
        ("gpu", "GPU", True),
    ]
    assert found("Each of the GPU clusters has 512 GPUs.") == [
        ("gpu-cluster", "GPU clusters", False),
        ("gpu", "GPU", True),
        ("gpu", "GPUs", False),
    ]


def test_overlapping_terms_both_count_and_the_default_view_keeps_the_leftmost() -> None:
    text = "Korea plans a sovereign AI factory, and an edge AI chip for phones."
    assert terms(text) == {"sovereign-ai", "ai-factory", "edge-ai", "ai-chip", "chip"}
    view = [(m.term, text[m.start : m.end]) for m in leftmost_longest(MATCHER.match(text))]
    assert view == [("sovereign-ai", "sovereign AI"), ("edge-ai", "edge AI"), ("chip", "chip")]


def test_a_shorter_label_of_the_same_term_is_not_counted_twice() -> None:
    assert found("New AI chip export controls took effect.") == [
        ("chip-export-controls", "AI chip export controls", False),
        ("ai-chip", "AI chip", True),
        ("chip", "chip", True),
    ]


# -- 2. punctuation that is part of a label ------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Override __init__ in the subclass.", {"init"}),
        ("Call init() once at start-up.", set()),
        ("The ___init___ marker is not it.", set()),
        ("Written in C++ and C#, ported to .NET last year.", {"cpp", "csharp", "dotnet"}),
        ("Plain C is faster; the net effect is small.", set()),
        ("At the >>> prompt, type help.", {"prompt", "type"}),
        ("A line of >>>> arrows.", set()),
        ("Routers with Wi-Fi 6E shipped.", {"wifi"}),
        ("The ASP.NET stack is separate.", set()),
    ],
)
def test_punctuation_in_a_label_must_be_there(text: str, expected: set[str]) -> None:
    assert terms(text) == expected


# -- 3. code-like tokens are not prose -----------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "Call get_digital_twins() to list them.",
        "Set sovereign_ai_budget in the config.",
        "Import vendor.models.Foundation first.",
        "Send the Content-Type header.",
        "The code lives in src/ai_factory/ and /opt/gpu/bin.",
        "See https://example.com/digital-twin/gpu for details.",
        "Run `gpu_count` or `foundation` to check.",
    ],
)
def test_a_label_inside_code_is_not_a_use(text: str) -> None:
    assert terms(text) - {"content-type"} == set(), found(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("A digital-twin-based approach, e.g. GPU-accelerated.", {"digital-twin", "gpu"}),
        ("CPU/GPU balance matters; the foundation. Then", {"gpu", "foundation"}),
        ("Send the Content-Type header.", {"content-type"}),
        ("The `__init__` method.", {"init"}),
        ("U.S. firms sell the GPU.", {"gpu"}),
    ],
)
def test_prose_around_code_marks_is_still_prose(text: str, expected: set[str]) -> None:
    assert terms(text) == expected


# -- 4. Korean 하다 and copula endings ------------------------------------------------------------
@pytest.mark.parametrize(
    "text",
    [
        "차량이 자율 주행해서 목적지에 도착했다.",
        "자율 주행하거나 원격으로 조종한다.",
        "자율 주행하지 않는 차량도 있다.",
        "자율 주행하는 트럭이 늘었다.",
        "이 차는 고속도로에서 자율 주행합니다.",
    ],
)
def test_a_hada_ending_is_a_use_of_the_noun(text: str) -> None:
    (m,) = [m for m in MATCHER.match(text) if m.term == "autonomous-driving"]
    assert text[m.start : m.end] == "자율 주행"


@pytest.mark.parametrize(
    ("text", "surface"),
    [
        ("이곳은 국내 최대의 AI 팩토리입니다.", "AI 팩토리"),
        ("모든 공장은 디지털 트윈이어야 한다.", "디지털 트윈"),
        ("핵심은 AI 팩토리이다.", "AI 팩토리"),
        ("그것이 디지털 트윈인지 확인했다.", "디지털 트윈"),
        ("정부는 이를 디지털 트윈이라고 부른다.", "디지털 트윈"),
    ],
)
def test_a_copula_ending_is_a_use_of_the_noun(text: str, surface: str) -> None:
    spans = [text[m.start : m.end] for m in MATCHER.match(text)]
    assert surface in spans


@pytest.mark.parametrize("text", ["산업용 로봇이 늘었다.", "새 칩셋을 발표했다.", "로봇을 샀다."])
def test_a_one_syllable_label_needs_a_word_boundary(text: str) -> None:
    assert not terms(text) & {"bot", "chip"}


def test_a_one_syllable_label_as_a_word_still_matches() -> None:
    assert {"bot", "chip"} <= terms("채팅 봇을 만들고 칩을 샀다.")


# -- 5. Korean compounds spaced both ways ---------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "term"),
    [
        ("새 데이터 센터를 짓는다.", "data-centre"),
        ("새 데이터센터를 짓는다.", "data-centre"),
        ("인공 지능 연구소가 문을 열었다.", "ai"),
        ("인공지능 연구소가 문을 열었다.", "ai"),
        ("디지털트윈 기술을 쓴다.", "digital-twin"),
    ],
)
def test_korean_compounds_match_spaced_and_solid(text: str, term: str) -> None:
    assert term in terms(text)


# -- through the CLI, the API and the page ------------------------------------------------------
def test_the_rules_hold_through_the_cli_the_api_and_the_page(tmp_path: Path) -> None:
    glossary = tmp_path / "glossary.yaml"
    glossary.write_text(GLOSSARY.text)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "news.md").write_text(
        "---\ntitle: News\ndate: 2026-01-05\n---\n"
        "The GPU cluster in Sejong opened; get_gpu_count() and `gpu_util` report it.\n\n"
        "이 차는 고속도로에서 자율 주행합니다. 새 데이터 센터를 짓는다.\n\n"
        "At the >>> prompt, C++ and .NET users call __init__ (not init).\n"
    )
    common = ["--glossary", str(glossary), "--index", str(tmp_path / "ix")]
    result = CliRunner().invoke(main, ["build", *common, "--corpus", str(corpus), "--quiet"])
    assert result.exit_code == 0, result.output
    result = CliRunner().invoke(main, ["annotate", "-", "--overlaps", "all", *common], input="A GPU cluster.")
    assert result.output.splitlines() == ["2\t13\tgpu-cluster\texact\tGPU cluster", "2\t5\tgpu\texact\tGPU\tnested"]
    result = CliRunner().invoke(main, ["lookup", "데이터 센터", *common])
    assert result.exit_code == 0 and "data-centre" in result.output, result.output

    app = create_app(
        {
            "GLOSSARY_PATH": str(glossary),
            "CORPUS_DIR": str(corpus),
            "INDEX_DIR": str(tmp_path / "ix"),
            "GLOSSARY_POLL_SECONDS": 0.0,
            "BACKGROUND_WRITER_SECONDS": 0.0,
            "CHECK_RESPONSES": True,
        }
    )
    client = app.test_client()
    gpu = client.get("/api/terms/gpu/passages").get_json()
    assert gpu["total"] == 1  # the nested use counts; the code-like ones do not
    assert [(m["label"], m["nested"]) for m in gpu["passages"][0]["matches"]] == [("GPU", True)]
    assert client.get("/api/terms/gpu").get_json()["usage"]["passages"] == 1
    assert client.get("/api/terms/autonomous-driving/passages").get_json()["total"] == 1
    assert client.get("/api/terms/data-centre/passages").get_json()["total"] == 1
    for term_id in ("prompt", "cpp", "dotnet", "init"):  # punctuation labels are found by term lookups too
        assert client.get(f"/api/terms/{term_id}/passages").get_json()["total"] == 1, term_id
    assert client.get("/api/lookup", query_string={"label": ">>>"}).get_json()["term"] == "prompt"
    text = {"text": "A GPU cluster."}
    plain = client.post("/api/annotate", json=text).get_json()["matches"]
    assert [m["term"] for m in plain] == ["gpu-cluster"]
    every = client.post("/api/annotate?overlaps=all", json=text).get_json()["matches"]
    assert [(m["term"], m["nested"]) for m in every] == [("gpu-cluster", False), ("gpu", True)]
    page = client.get("/documents/news").get_data(as_text=True)
    assert 'title="GPU cluster · also: GPU"' in page and page.count("<mark>") == 7
    app.extensions["glossary"].index.close()
