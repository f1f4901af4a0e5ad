"""The one text analysis shared by matching, indexing and querying.

`fold` turns text into a "match form" (lower case, NFC, one kind of space, one kind of
apostrophe) while remembering where each folded character came from, so that spans found in
the folded text point back at the original. `index_keys` and `query_keys` produce the words
the index stores and the words a label needs; both come from the same folding.
"""

from __future__ import annotations

import bisect
import hashlib
import re
import unicodedata
from dataclasses import dataclass

from index.korean import content_words

_SPACE_LIKE = (
    "\t\n\r\x0b\x0c\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u2028\u2029\u202f\u205f\u3000"
)
# Hyphens and dashes join words in labels the same way a space does. The underscore does not:
# it joins the words of an identifier (get_digital_twins), which is code, not prose.
_HYPHEN_LIKE = "-\u2010\u2011\u2012\u2013\u2014\u2015\u2212"
_APOSTROPHE_LIKE = "\u2019\u2018\u02bc\u00b4`\uff07"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e"

# What fold maps to a space, to an apostrophe, and drops (for index/_scan.c, the compiled copy).
FOLD_CLASSES = (_SPACE_LIKE + _HYPHEN_LIKE, _APOSTROPHE_LIKE, _ZERO_WIDTH)

_TRANSLATE = {ord(c): " " for c in _SPACE_LIKE + _HYPHEN_LIKE}
_TRANSLATE.update({ord(c): "'" for c in _APOSTROPHE_LIKE})
_ZERO_WIDTH_RE = re.compile(f"[{_ZERO_WIDTH}]")
# The same mapping as two regex substitutions: for non-ASCII text str.translate with a dict
# costs ~60 ns a character, these ~7.
_TO_SPACE = re.compile(f"[{re.escape(_SPACE_LIKE + _HYPHEN_LIKE)}]")
_TO_APOSTROPHE = re.compile(f"[{re.escape(_APOSTROPHE_LIKE)}]")
# The same folding for ASCII text as one bytes.translate: ~20x faster than str.translate + lower.
_ASCII_FOLD = bytes(ord(_TRANSLATE[b]) if b in _TRANSLATE else ord(chr(b).lower()) for b in range(128)) + bytes(
    range(128, 256)
)


def is_hangul(ch: str) -> bool:
    """True for a Hangul syllable or jamo."""
    o = ord(ch)
    return 0xAC00 <= o <= 0xD7A3 or 0x1100 <= o <= 0x11FF or 0x3130 <= o <= 0x318F


@dataclass(frozen=True)
class Folded:
    """Folded text plus, when folding moved characters, the map back to the original.

    Two maps: `starts`/`ends` per character (the rare careful path), or `breaks`/`shifts`
    for the common case where only runs of spaces were collapsed: from folded position
    breaks[i] on, the original position is the folded one plus shifts[i].
    """

    text: str
    starts: tuple[int, ...] | None = None  # original start of each folded char
    ends: tuple[int, ...] | None = None  # original end of each folded char
    breaks: tuple[int, ...] = ()
    shifts: tuple[int, ...] = ()

    def _original(self, position: int) -> int:
        i = bisect.bisect_right(self.breaks, position) - 1
        return position + (self.shifts[i] if i >= 0 else 0)

    def original_span(self, start: int, end: int) -> tuple[int, int]:
        """Map a span of the folded text to the span of the original text."""
        if self.starts is not None and self.ends is not None:
            return self.starts[start], self.ends[end - 1]
        if self.breaks:
            return self._original(start), self._original(end - 1) + 1
        return start, end


def _lower_char(ch: str) -> str:
    low = ch.lower()
    return low if len(low) == 1 else ch


# Written with a literal prefix so that re searches for it with a fast scan: about 5x
# faster than " {2,}", which tries the pattern at every position.
_SPACE_RUN = re.compile("  +")


def fold(text: str) -> Folded:
    """Fold text for matching; offsets map back exactly to the input."""
    if text.isascii():
        lowered = text.encode("ascii").translate(_ASCII_FOLD).decode("ascii")
    else:
        lowered = _TO_APOSTROPHE.sub("'", _TO_SPACE.sub(" ", text)).lower()
        if len(lowered) != len(text) or _ZERO_WIDTH_RE.search(text) or not unicodedata.is_normalized("NFC", text):
            return _fold_slowly(text)
    if "  " not in lowered:
        return Folded(lowered)
    pieces, breaks, shifts = [], [], []
    position = removed = 0
    for run in _SPACE_RUN.finditer(lowered):
        pieces.append(lowered[position : run.start() + 1])
        removed += run.end() - run.start() - 1
        position = run.end()
        breaks.append(position - removed)
        shifts.append(removed)
    pieces.append(lowered[position:])
    return Folded("".join(pieces), breaks=tuple(breaks), shifts=tuple(shifts))


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
    "analysis": "analyses",
    "axis": "axes",
    "basis": "bases",
    "child": "children",
    "criterion": "criteria",
    "crisis": "crises",
    "datum": "data",
    "foot": "feet",
    "half": "halves",
    "index": "indices",
    "knife": "knives",
    "leaf": "leaves",
    "life": "lives",
    "man": "men",
    "matrix": "matrices",
    "medium": "media",
    "mouse": "mice",
    "person": "people",
    "phenomenon": "phenomena",
    "shelf": "shelves",
    "vertex": "vertices",
    "wife": "wives",
    "woman": "women",
}
_IRREGULAR_SINGULARS = {v: k for k, v in _IRREGULAR_PLURALS.items()} | {"indexes": "index"}
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


_HANGUL_RUN = "[\uac00-\ud7a3]+(?: [\uac00-\ud7a3]+)*"
_TOKEN_RE = re.compile(f"({_HANGUL_RUN})|([^\\W_\uac00-\ud7a3]+)")

# Words too common to help find a passage. Labels and queries drop them too, so the index
# still holds every key a label needs.
STOP_WORDS = frozenset(
    "a an and are as at be by for from has have in is it its of on or that the this to was were will with s".split()
)


def word_key(word: str) -> str:
    """The one index key of an English word form: singular and plural share it.

    Irregular plurals map to their singular; then trailing s/e/y/i letters are cut, which
    gives `twin(s)`, `factor(y|ies)`, `process(es)` one key each. It only has to be the same
    for a word and its plural: the matcher, not the key, decides what matches.
    """
    word = _IRREGULAR_SINGULARS.get(word, word)
    return word.rstrip("seyi") or word[:1]


def _hangul_keys(run: str) -> list[str]:
    joined = run.replace(" ", "")
    if len(joined) == 1:
        return [joined]  # a one-syllable label needs its syllable
    return [joined[i : i + 2] for i in range(len(joined) - 1)]


def index_keys(text: str) -> list[str]:
    """The words the index stores for a passage (with repeats, for scoring)."""
    keys: list[str] = []
    for hangul, word in _TOKEN_RE.findall(fold(text).text):
        if hangul:
            keys.extend(_hangul_keys(hangul))
            # First syllables, for one-syllable labels (which match only at a word start).
            keys.extend(w[0] for w in hangul.split(" "))
        elif word not in STOP_WORDS:
            keys.append(word_key(word))
    return keys


def query_keys(label: str) -> list[str]:
    """Keys every passage containing `label` (in any form that matches) has in the index."""
    keys: list[str] = []
    for hangul, word in _TOKEN_RE.findall(fold(label).text):
        if hangul:
            keys.extend(_hangul_keys(hangul))
        elif word not in STOP_WORDS:
            keys.append(word_key(word))
    return list(dict.fromkeys(keys))


def highlight_words(query: str) -> list[str]:
    """What to mark in search results: English word keys (matched at word starts, so `twin`
    marks `twins`) and Korean content words (matched anywhere, particles left out)."""
    words: list[str] = []
    for hangul, word in _TOKEN_RE.findall(fold(query).text):
        if hangul:
            words.extend(content_words(hangul))
        elif word not in STOP_WORDS:
            words.append(word_key(word))
    return words


def search_words(query: str) -> list[list[str]]:
    """For free-text search: the keys of each query word (all words are required)."""
    groups: list[list[str]] = []
    for hangul, word in _TOKEN_RE.findall(fold(query).text):
        if hangul:
            for part in content_words(hangul):
                groups.extend([gram] for gram in _hangul_keys(part))
        elif word not in STOP_WORDS:
            groups.append([word_key(word)])
    return groups


def passage_fingerprint(text: str) -> str:
    """A passage's identity for curators' decisions: its text, normalised (NFC, whitespace), hashed.
    A document edit that leaves the passage's text as it was keeps the decision."""
    normal = " ".join(unicodedata.normalize("NFC", text).split())
    return hashlib.sha1(normal.encode("utf-8", "surrogatepass")).hexdigest()[:16]
