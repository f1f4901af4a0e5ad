"""The one text analysis shared by matching, indexing and querying.

`fold` turns text into a "match form" (lower case, NFC, one kind of space, one kind of
apostrophe) while remembering where each folded character came from, so that spans found in
the folded text point back at the original. `index_keys` and `query_keys` produce the words
the index stores and the words a label needs; both come from the same folding.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from index.korean import content_words

_SPACE_LIKE = "\t\n\r\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
# Hyphens, dashes and the underscore join words in labels the same way a space does.
_HYPHEN_LIKE = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212_"
_APOSTROPHE_LIKE = "\u2019\u2018\u02bc\u00b4`\uff07"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"

_TRANSLATE = {ord(c): " " for c in _SPACE_LIKE + _HYPHEN_LIKE}
_TRANSLATE.update({ord(c): "'" for c in _APOSTROPHE_LIKE})
_ZERO_WIDTH_RE = re.compile(f"[{_ZERO_WIDTH}]")


def is_hangul(ch: str) -> bool:
    """True for a Hangul syllable or jamo."""
    o = ord(ch)
    return 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


def is_word_char(ch: str) -> bool:
    """Letters and digits of any script: what a match must not continue into."""
    return ch.isalnum()


@dataclass(frozen=True)
class Folded:
    """Folded text plus, when folding moved characters, the map back to the original."""

    text: str
    starts: tuple[int, ...] | None = None  # original start of each folded char
    ends: tuple[int, ...] | None = None  # original end of each folded char

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the folded text to the span of the original text."""
        if self.starts is None or self.ends is None:
            return start, end
        return self.starts[start], self.ends[end - 1]


def _lower_char(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


def fold(text: str) -> Folded:
    """Fold text for matching; the fast path keeps offsets identical to the input."""
    translated = text.translate(_TRANSLATE)
    lowered = translated.lower()
    if (
        len(lowered) == len(text)
        and "  " not in lowered
        and not _ZERO_WIDTH_RE.search(text)
        and unicodedata.is_normalized("NFC", text)
    ):
        return Folded(lowered)
    return _fold_slowly(text)


def _clusters(text: str) -> list[tuple[int, int]]:
    """Spans that NFC composes independently: a starter plus its combining marks / jamo."""
    spans: list[tuple[int, int]] = []
    start = 0
    for i in range(1, len(text) + 1):
        if i == len(text):
            spans.append((start, i))
            break
        ch = text[i]
        o = ord(ch)
        continues = unicodedata.combining(ch) != 0 or 0x1160 <= o <= 0x11FF
        if not continues:
            spans.append((start, i))
            start = i
    return spans


def _fold_slowly(text: str) -> Folded:
    out: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    for a, b in _clusters(text) if text else []:
        composed = unicodedata.normalize("NFC", text[a:b])
        for ch in composed:
            if ch in _ZERO_WIDTH:
                continue
            ch = _lower_char(ch.translate(_TRANSLATE))
            if ch == " " and out and out[-1] == " ":
                ends[-1] = b  # a run of spaces folds into one
                continue
            out.append(ch)
            starts.append(a)
            ends.append(b)
    return Folded("".join(out), tuple(starts), tuple(ends))


def fold_label(label: str) -> str:
    """The folded form of a label (labels are short: always the careful path)."""
    return _fold_slowly(label.strip()).text.strip()


# --- words, inflection, keys -------------------------------------------------------------

_IRREGULAR_PLURALS = {
    "analysis": "analyses", "axis": "axes", "basis": "bases", "child": "children",
    "criterion": "criteria", "crisis": "crises", "datum": "data", "foot": "feet",
    "half": "halves", "index": "indices", "knife": "knives", "leaf": "leaves", "life": "lives",
    "man": "men", "matrix": "matrices", "medium": "media", "mouse": "mice", "person": "people",
    "phenomenon": "phenomena", "shelf": "shelves", "vertex": "vertices", "wife": "wives",
    "woman": "women",
}
_IRREGULAR_SINGULARS = {v: k for k, v in _IRREGULAR_PLURALS.items()}
_NO_PLURAL_ENDINGS = ("ics", "ware", "data")
_VOWELS = "aeiou"


def plural_forms(word: str) -> list[str]:
    """Plural spellings of one English word, keeping the case style of acronyms."""
    low = word.lower()
    if not low.isalpha() or not low.isascii() or low.endswith(_NO_PLURAL_ENDINGS):
        return []
    if low in _IRREGULAR_PLURALS:
        forms = [_IRREGULAR_PLURALS[low]]
        if low == "index":
            forms.append("indexes")
        return [_match_case(word, f) for f in forms]
    if word.isupper() and len(word) > 1:
        return [word + "s"]  # GPUs, LLMs
    if low.endswith(("s", "x", "z", "ch", "sh")):
        return [word + "es"]
    if low.endswith("y") and len(low) > 1 and low[-2] not in _VOWELS:
        return [word[:-1] + "ies"]
    return [word + "s"]


def _match_case(model: str, word: str) -> str:
    return word.upper() if model.isupper() and len(model) > 1 else word


def singular_candidates(word: str) -> list[str]:
    """Every word that `plural_forms` could have turned into `word` (lower case)."""
    out = []
    if word in _IRREGULAR_SINGULARS:
        out.append(_IRREGULAR_SINGULARS[word])
    if word == "indexes":
        out.append("index")
    if len(word) > 3 and word.endswith("ies"):
        out.append(word[:-3] + "y")
    if len(word) > 2 and word.endswith("es"):
        out.append(word[:-2])
    if len(word) > 1 and word.endswith("s"):
        out.append(word[:-1])
    return out


_HANGUL_RUN = "[\uac00-\ud7a3]+(?: [\uac00-\ud7a3]+)*"
_TOKEN_RE = re.compile(f"({_HANGUL_RUN})|([^\\W_\uac00-\ud7a3]+)")


def _hangul_keys(run: str) -> list[str]:
    joined = run.replace(" ", "")
    keys = list(joined)  # unigrams, so that one-syllable labels can be found
    keys.extend(joined[i : i + 2] for i in range(len(joined) - 1))
    return keys


def index_keys(text: str) -> list[str]:
    """The words the index stores for a passage (with repeats, for scoring)."""
    keys: list[str] = []
    for hangul, word in _TOKEN_RE.findall(fold(text).text):
        if hangul:
            keys.extend(_hangul_keys(hangul))
        else:
            keys.append(word)
            keys.extend(singular_candidates(word))
    return keys


def query_keys(label: str) -> list[str]:
    """Words every passage containing `label` (in any matched form) must have as keys."""
    keys: list[str] = []
    for hangul, word in _TOKEN_RE.findall(fold(label).text):
        if hangul:
            joined = hangul.replace(" ", "")
            keys.extend([joined] if len(joined) == 1 else _hangul_keys(joined)[len(joined) :])
        else:
            keys.append(word)
    return list(dict.fromkeys(keys))


def search_words(query: str) -> list[list[str]]:
    """For free-text search: each query word with the alternatives that it may be stored as."""
    groups: list[list[str]] = []
    for hangul, word in _TOKEN_RE.findall(fold(query).text):
        if hangul:
            for part in content_words(hangul):
                groups.extend([gram] for gram in (_hangul_keys(part)[len(part) :] or [part]))
        else:
            groups.append([word, *singular_candidates(word)])
    return groups
