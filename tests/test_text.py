"""The shared analysis: folding keeps offsets; index keys always cover a label's query keys."""

from __future__ import annotations

import unicodedata

import pytest

from index.glossary import Label
from index.matcher import label_forms
from index.text import fold, index_keys, plural_forms, query_keys, word_key


def test_fast_path_keeps_offsets() -> None:
    folded = fold("AI-Factory’s GPU")
    assert folded.text == "ai factory's gpu" and folded.starts is None


def test_slow_path_maps_back_to_the_original() -> None:
    text = "A\u200bB  C\u0301 D"
    folded = fold(text)
    assert folded.text == "ab ć d"
    start, end = folded.original_span(3, 4)
    assert text[start:end] == "C\u0301"


def test_collapsed_spaces_map_back_without_the_slow_path() -> None:
    text = "a  digital   twin\n\nand\t GPU"
    folded = fold(text)
    assert folded.text == "a digital twin and gpu" and folded.starts is None
    for word in ("digital twin", "gpu", "and", "a"):
        start = folded.text.index(word)
        a, b = folded.original_span(start, start + len(word))
        assert fold(text[a:b]).text == word


def test_nfd_hangul_folds_to_syllables() -> None:
    nfd = unicodedata.normalize("NFD", "디지털 트윈")
    assert fold(nfd).text == "디지털 트윈"


@pytest.mark.parametrize(
    ("word", "plurals"),
    [
        ("twin", ["twins"]),
        ("factory", ["factories"]),
        ("GPU", ["GPUs"]),
        ("analysis", ["analyses"]),
        ("day", ["days"]),
        ("process", ["processes"]),
        ("robotics", []),
        ("5G", []),
        ("index", ["indices", "indexes"]),
    ],
)
def test_plural_forms(word: str, plurals: list[str]) -> None:
    assert plural_forms(word) == plurals


@pytest.mark.parametrize(
    "label",
    [
        "digital twin",
        "AI factory",
        "GPU",
        "data analysis",
        "AI chip export controls",
        "디지털 트윈",
        "AI 팩토리",
        "소버린 AI",
        "칩",
        "private 5G",
        "process",
    ],
)
def test_every_form_of_a_label_is_found_by_its_query_keys(label: str) -> None:
    lang = "ko" if any("\uac00" <= c <= "\ud7a3" for c in label) else "en"
    wanted = set(query_keys(label))
    for form, _ in label_forms(Label(label, lang, "preferred", "preferred")):
        for text in (f"x {form} y", f"{form}을", f"({form.upper()})"):
            assert wanted <= set(index_keys(text)), (form, text)


def test_a_word_and_its_plurals_share_one_key() -> None:
    for word in ["twin", "factory", "analysis", "box", "child", "gpu", "process", "index", "day", "wife", "a"]:
        for plural in plural_forms(word):
            assert word_key(plural.lower()) == word_key(word), (word, plural)


def test_stop_words_are_not_keys() -> None:
    assert index_keys("the state of the art") == ["stat", "art"]
