"""Property tests (hypothesis) for the matcher and annotate: spans are always right."""

from __future__ import annotations

import unicodedata

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from index.matcher import Matcher, label_forms, leftmost_longest
from index.text import _fold_slowly, fold, fold_label
from index.vocabulary import load_glossary, matcher_for
from tests.support import ROOT

GLOSSARY = load_glossary(ROOT / "glossary.yaml")
MATCHER = matcher_for(GLOSSARY)
REVERSED = Matcher(tuple(reversed(GLOSSARY.terms)))
FORMS = {t.id: {fold_label(f).replace(" ", "") for lb in t.labels for f, _ in label_forms(lb)} for t in GLOSSARY.terms}
LABELS = sorted({f for t in GLOSSARY.terms for lb in t.labels for f, _ in label_forms(lb)})
ODD = [
    "\u200b",
    "\u200d",
    "\u00ad",
    "\ufeff",
    "😀",
    "👩‍💻",
    "\u202e",
    "שלום",
    "مرحبا",
    "\u0301",
    "İ",
    "ß",
    "ﬁ",
    "\t",
    "\n\n",
    "  ",
    "-",
    "’",
    "'",
    "을",
    "의",
    "、",
    "。",
    "\U0001f1f0\U0001f1f7",
]

texts = st.lists(st.one_of(st.sampled_from(LABELS), st.sampled_from(ODD), st.text(max_size=12)), max_size=12).map(
    " ".join
)
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def check_spans(text: str) -> None:
    found = MATCHER.match(text)
    assert [m.start for m in found] == sorted(m.start for m in found)  # text order
    for m in found:
        assert 0 <= m.start < m.end <= len(text)
        surface = fold_label(text[m.start : m.end]).replace(" ", "")
        assert surface in FORMS[m.term], (text, m)
        inside = [o for o in found if o.start <= m.start and m.end <= o.end and o.end - o.start > m.end - m.start]
        assert m.nested == bool(inside), (text, m)  # nested: inside a longer match
        assert all(o.term != m.term for o in inside), (text, m)  # never inside its own term's match
    previous_end = 0
    for m in leftmost_longest(found):  # the view annotate shows: no overlaps
        assert previous_end <= m.start
        previous_end = m.end


@SETTINGS
@given(texts)
def test_spans_lie_inside_the_text_and_point_at_a_label_form(text: str) -> None:
    check_spans(text)


@SETTINGS
@given(texts)
def test_results_do_not_depend_on_the_order_of_terms(text: str) -> None:
    assert MATCHER.match(text) == REVERSED.match(text)


@SETTINGS
@given(texts, st.sampled_from(["NFC", "NFD", "NFKC", "NFKD"]))
def test_any_normal_form_is_matched_without_misplaced_spans(text: str, form: str) -> None:
    check_spans(unicodedata.normalize(form, text))


@SETTINGS
@given(st.sampled_from(LABELS), st.sampled_from(["NFC", "NFD"]))
def test_a_label_in_any_canonical_form_still_matches(label: str, form: str) -> None:
    text = unicodedata.normalize(form, f"x {label} y")
    assert MATCHER.match(text), text


@SETTINGS
@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_arbitrary_unicode_never_crashes(text: str) -> None:
    check_spans(text)


@SETTINGS
@given(texts)
def test_fast_folding_agrees_with_the_careful_path(text: str) -> None:
    # fold() takes shortcuts (bytes.translate, regex substitutions, space-run breakpoints);
    # each must give the text the character-by-character path gives, and map every character
    # back inside the span that path maps it to (which covers a whole combining cluster).
    fast, careful = fold(text), _fold_slowly(text)
    assert fast.text == careful.text
    for i, ch in enumerate(fast.text):
        if ch != " ":  # a collapsed space run may end anywhere inside the run
            (a, b), (c, d) = fast.original_span(i, i + 1), careful.original_span(i, i + 1)
            assert c <= a < b <= d, (text, i)
