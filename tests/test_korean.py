"""Korean matching: particles, spacing, mixed script, look-alikes; Korean through the API."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from index.errors import GlossaryInvalid
from index.glossary import parse_terms
from index.vocabulary import matcher_for, parse_glossary
from tests.support import Gunicorn

# Every test here runs on the compiled matcher and on its Python reference.
pytestmark = pytest.mark.usefixtures("matcher_path")

GLOSSARY = parse_terms(
    """
terms:
  - id: digital-twin
    term: digital twin
    definition: d
    labels: {ko: [디지털 트윈]}
  - id: ai-factory
    term: AI factory
    definition: d
    labels: {ko: [AI 팩토리]}
  - id: sovereign-ai
    term: sovereign AI
    definition: d
    labels: {ko: [소버린 AI]}
  - id: physical-ai
    term: physical AI
    definition: d
    labels: {ko: [피지컬 AI]}
  - id: gpu
    term: GPU
    definition: d
  - id: chip
    term: chip
    definition: d
    labels: {ko: [칩]}
"""
)
MATCHER = matcher_for(GLOSSARY)
PARTICLES = [
    "을",
    "를",
    "이",
    "가",
    "은",
    "는",
    "의",
    "에",
    "에서",
    "으로",
    "로",
    "와",
    "과",
    "도",
    "만",
    "까지",
    "부터",
    "에게",
    "처럼",
    "보다",
    "이다",
    "이라는",
    "에서는",
    "들이",
]


def found(text: str) -> list[tuple[str, str]]:
    return [(m.term, text[m.start : m.end]) for m in MATCHER.match(text)]


@pytest.mark.parametrize("particle", PARTICLES)
@pytest.mark.parametrize(
    ("label", "term"),
    [
        ("디지털 트윈", "digital-twin"),
        ("AI 팩토리", "ai-factory"),
        ("소버린 AI", "sovereign-ai"),
        ("피지컬 AI", "physical-ai"),
    ],
)
def test_any_particle_attached_span_is_the_label(label: str, term: str, particle: str) -> None:
    text = f"정부는 {label}{particle} 강조했다."
    assert found(text) == [(term, label)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("디지털트윈을 만든다", [("digital-twin", "디지털트윈")]),
        ("피지컬AI 시장", [("physical-ai", "피지컬AI")]),
        ("AI팩토리를 짓는다", [("ai-factory", "AI팩토리")]),
        ("소버린AI의 시대", [("sovereign-ai", "소버린AI")]),
        (
            "디지털 트윈, 피지컬 AI와 AI 팩토리",
            [("digital-twin", "디지털 트윈"), ("physical-ai", "피지컬 AI"), ("ai-factory", "AI 팩토리")],
        ),
        ("GPU를 공급한다", [("gpu", "GPU")]),
        ("GPU들이 부족하다", [("gpu", "GPU")]),
        ("디지털트윈기술을 도입", [("digital-twin", "디지털트윈")]),
        ("칩을 만든다", [("chip", "칩")]),
    ],
)
def test_spacing_and_mixed_script(text: str, expected: list[tuple[str, str]]) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "트윈스가 이겼다",
        "엘지트윈스가 이겼다",
        "디지털 트윈스 경기",
        "디지털트윈스가 왔다",
        "AI 팩토리아 공장",
        "소버린국채 금리",
        "피지컬AIX 출시",
        "감칩을 먹었다",
        "GPUs가 아닌 GPUX",
    ],
)
def test_no_false_hits_on_look_alikes(text: str) -> None:
    assert [t for t in found(text) if t[1] != "GPUs"] == []


def test_gpu_inside_a_korean_compound_is_still_the_gpu() -> None:
    # Kiwi reads GPU가속기 as GPU + 가속기 (a compound noun), so GPU counts there.
    assert found("GPU가속기라는 말") == [("gpu", "GPU")]


def test_korean_examples_are_checked() -> None:
    text = (
        "terms:\n  - id: digital-twin\n    term: digital twin\n    definition: d\n    labels: {ko: [디지털 트윈]}\n"
        "    examples:\n      match: [디지털 트윈을 만들었다., 트윈을 만들었다.]\n"
        "      no_match: [디지털 트윈이 있다.]\n"
    )
    with pytest.raises(GlossaryInvalid) as caught:
        parse_glossary(text)
    messages = [(p.term, p.field, p.message) for p in caught.value.problems]
    assert ("digital-twin", "examples.match", "sentence does not match the term: '트윈을 만들었다.'") in messages
    assert any(f == "examples.no_match" and "디지털 트윈이 있다." in m for _, f, m in messages)


def test_korean_and_english_through_the_api_end_to_end(server: Gunicorn) -> None:
    for label in ("디지털 트윈을", "디지털트윈", "Digital Twins", "digital-twin"):
        r = requests.get(f"{server.url}/api/lookup", params={"label": label}, timeout=30)
        assert r.status_code == 200 and r.json()["term"] == "digital-twin", label
    ko = requests.get(f"{server.url}/api/terms/digital-twin/passages", params={"lang": "ko"}, timeout=30).json()
    assert [p["passage"] for p in ko["passages"]] == ["gamma:1"]
    text = ko["passages"][0]["text"]
    assert [text[m["start"] : m["end"]] for m in ko["passages"][0]["matches"]] == ["디지털 트윈"]
    en = requests.get(f"{server.url}/api/terms/digital-twin/passages", params={"lang": "en"}, timeout=30).json()
    assert {p["passage"] for p in en["passages"]} == {"alpha:1", "sub/beta:3"}
    suggestions = requests.get(f"{server.url}/api/suggest", params={"q": "디지"}, timeout=30).json()["suggestions"]
    assert suggestions[0] == {"term": "digital-twin", "label": "디지털 트윈", "preferred": "digital twin"}
    assert requests.get(f"{server.url}/api/lookup", params={"label": "엘지트윈스"}, timeout=30).status_code == 404
    factory = requests.get(f"{server.url}/api/terms/ai-factory/passages", timeout=30).json()
    assert {p["passage"] for p in factory["passages"]} == {"gamma:1", "alpha:2"}


LOADS_OF_KIWI = """
import threading
from index import korean
from index.vocabulary import load_glossary

made = []
new_kiwi = korean._new_kiwi
korean._new_kiwi = lambda words: made.append(sorted(words)) or new_kiwi(words)
load_glossary("glossary.yaml")
for thread in threading.enumerate():
    if thread is not threading.current_thread():
        thread.join(60)
print(len(made), all("디지털 트윈" in words for words in made))
"""


def test_kiwi_loads_once_and_with_the_glossarys_labels() -> None:
    """A process that reads a glossary loads Kiwi once, knowing the Korean labels: not first
    without them and again in a background thread (which competed with a glossary edit's
    re-match in the writer for the interpreter)."""
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", LOADS_OF_KIWI], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["1", "True"]
