"""The compiled hot loop (index/_scan.c) against the Python it was ported from: the same hits,
spans, rules and nested marks on any text, and errors raised, not crashes."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import ahocorasick
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import index.matcher
from index.glossary import parse_terms
from index.matcher import Matcher, _word_text, label_forms
from index.text import fold
from index.vocabulary import load_glossary, matcher_for
from tests.support import ROOT

compiled = index.matcher.compiled

RULES_GLOSSARY = parse_terms(
    """terms:
  - {id: gpu, term: GPU, definition: d}
  - {id: gpu-cluster, term: GPU cluster, definition: d}
  - {id: ai-factory, term: AI factory, definition: d, labels: {ko: [AI 팩토리]}}
  - {id: sovereign-ai, term: sovereign AI, definition: d, labels: {ko: [소버린 AI]}}
  - {id: cpp, term: C++, definition: d}
  - {id: dotnet, term: .NET, definition: d}
  - {id: init, term: __init__, definition: d}
  - {id: dt, term: digital twin, definition: d, labels: {ko: [디지털 트윈]},
     aliases: [{label: DT, case_sensitive: true}]}
  - {id: moore, term: Moore's law, definition: d}
  - {id: rock, term: rock 'n', definition: d}
  - {id: type, term: type, definition: d}
  - {id: driving, term: autonomous driving, definition: d, labels: {ko: [자율 주행]}}
  - {id: chip, term: chip, definition: d, labels: {ko: [칩]}}
  - {id: dc, term: data centre, definition: d, labels: {ko: [데이터센터]}}
"""
)
MATCHERS = [matcher_for(RULES_GLOSSARY), matcher_for(load_glossary(ROOT / "glossary.yaml"))]
WORDS = sorted(
    {f for m in (RULES_GLOSSARY,) for t in m.terms for lb in t.labels for f, _ in label_forms(lb)}
    | {f for t in load_glossary(ROOT / "glossary.yaml").terms for lb in t.labels for f, _ in label_forms(lb)}
)
PIECES = [
    "을", "를", "이", "에서", "입니다", "하는", "해서", "셋", "로", "데이터", "센터", "  ", " ", "\n", "\t", "\u00a0",
    "\u2003", "-", "\u2013", "_", ".", "/", "`", "'", "’", "#", "+", ":", "//", "http://", "x", "X", "Σ", "İ", "ß",
    "e\u0301", "\u1100\u1161", "\u200b", "。", "😀", "GPU", "gpu", "Gpu", "DT", "dt",
]  # fmt: skip
texts = st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(PIECES), st.text(max_size=4)), max_size=16).map(
    "".join
) | st.lists(st.one_of(st.sampled_from(WORDS), st.sampled_from(PIECES)), max_size=16).map(" ".join)


@contextlib.contextmanager
def python_path() -> Iterator[None]:
    saved, index.matcher.compiled = index.matcher.compiled, None
    try:
        yield
    finally:
        index.matcher.compiled = saved


def both(matcher: Matcher, text: str) -> tuple[list[index.matcher.Match], list[index.matcher.Match]]:
    fast = matcher.match(text)
    with python_path():
        return fast, matcher.match(text)


def test_the_compiled_loop_is_built_by_the_install() -> None:
    # make install builds it (pyproject.toml, ext-modules); without it dense text is matched
    # at under half the speed (bench/matcher.py).
    assert compiled is not None


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_the_compiled_loop_finds_exactly_what_the_python_one_finds(text: str) -> None:
    for matcher in MATCHERS:
        fast, reference = both(matcher, text)
        assert fast == reference, text
        assert [type(m) for m in fast] == [index.matcher.Match] * len(fast)


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_compiled_folding_is_fold_or_says_to_take_the_careful_path(text: str) -> None:
    assert compiled is not None
    prepared = compiled.prepare(text)
    folded = fold(text)
    if prepared is None:
        assert folded.starts is not None, text  # only where fold itself takes the careful path
        return
    ft, scanned, breaks, shifts = prepared
    if folded.starts is None:  # NFC texts; the caller checks NFC
        assert (ft, breaks, shifts) == (folded.text, folded.breaks, folded.shifts)
    assert scanned == " " + _word_text(ft) + " "


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The GPU cluster; the GPU.", [("GPU cluster", False), ("GPU", True), ("GPU", False)]),
        ("Our  DT  and a dt.", [("DT", False)]),
        ("Moore's law, Moore’s  law", [("Moore's law", False), ("Moore’s  law", False)]),
        ("we rock 'n'", [("rock 'n'", False)]),  # a label that ends in an apostrophe, at the end
        ("디지털 트윈을 만든 데이터 센터입니다", [("디지털 트윈", False), ("데이터 센터", False)]),
        ("see `gpu_count` and config.gpu or src/gpu/x", []),
    ],
)
def test_sentences_on_both_paths(text: str, expected: list[tuple[str, bool]]) -> None:
    fast, reference = both(MATCHERS[0], text)
    assert fast == reference
    assert [(text[m.start : m.end], m.nested) for m in fast] == expected


def test_an_error_in_a_rule_is_raised_not_a_crash() -> None:
    assert compiled is not None
    matcher = MATCHERS[0]

    def broken(*args: object) -> bool:
        raise RuntimeError("rule failed")

    context = list(matcher._compiled_context)
    context[3] = broken  # the Korean edge check: called for a hit glued to Hangul
    text = "AI 팩토리셋"
    folded, scanned, breaks, shifts = compiled.prepare(text)
    with pytest.raises(RuntimeError, match="rule failed"):
        compiled.scan_words(tuple(context), scanned, folded, text, breaks, shifts, None, [])
    with pytest.raises(TypeError):
        compiled.scan_words(matcher._compiled_context, scanned, folded, text, breaks, shifts, None, ())
    with pytest.raises(ValueError):
        compiled.scan_words(matcher._compiled_context, scanned[1:], folded, text, breaks, shifts, None, [])
    with pytest.raises(TypeError):
        compiled.resolve([("not", "a", "match")], index.matcher.RULES)
    odd = ahocorasick.Automaton()
    odd.add_word(" ai", 3)  # a value that is not one of the matcher's entries
    odd.make_automaton()
    with pytest.raises(TypeError, match="entries"):
        compiled.scan_words((odd, *context[1:]), scanned, folded, text, breaks, shifts, None, [])
