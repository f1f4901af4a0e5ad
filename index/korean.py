"""Korean word edges: a particle list for the common case, kiwipiepy for the rest.

Korean glues particles and endings onto nouns (`디지털 트윈을`), so a label followed by a
Hangul letter may still be a whole word, or the start of a longer one (`트윈스`). When what
follows is a known particle or copula ending, that settles it. Otherwise Kiwi decides: a
candidate is kept when both its edges fall on morpheme boundaries. The glossary's Korean
labels are Kiwi user words, so that Kiwi never splits them.

Kiwi takes ~1.5 s to load and ~2 s to re-plan after new user words, so it is loaded on first
need, and when labels change a new instance is prepared in the background and swapped in.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

# Particles and copula endings that may follow a noun directly (and nothing else after them).
PARTICLES = frozenset(
    """
을 를 이 가 은 는 의 에 에서 에게 께 께서 한테 으로 로 와 과 도 만 까지 부터 보다 처럼 같이
이나 나 이랑 랑 하고 이다 이며 이고 이었다 였다 입니다 이라는 라는 이란 란 인 으로서 로서
으로써 로써 에는 에서는 으로는 로는 과의 와의 에서의 까지의 부터의 만의 조차 마저 뿐 이야 야
이라고 라고 에도 에서도 으로도 로도 과도 와도 이든 든 이라도 라도 만큼 대로 이나마 께는 에게는
이지만 지만 이자 이면 이라면 라면 이죠 죠 이에요 예요 이어서 여서 을까 를까 은커녕 는커녕
""".split()
)

# Morphemes that carry meaning; the rest (particles, endings, suffixes) are grammar.
_CONTENT_TAGS = ("NN", "NP", "NR", "SL", "SH", "SN", "XR", "VV", "VA", "MM", "MA")

_lock = threading.Lock()
_kiwi: Any = None
_kiwi_words: frozenset[str] = frozenset()
_wanted_words: set[str] = set()
_rebuilding = False


def _new_kiwi(words: Iterable[str]) -> Any:
    from kiwipiepy import Kiwi

    # No thread pool (num_workers=0): we tokenize short chunks, and gunicorn forks the process
    # after Kiwi is loaded; threads do not survive a fork (the child aborted at exit).
    with warnings.catch_warnings():
        # Kiwi warns that num_workers=0 no longer means "every core": single-threaded is what we want.
        warnings.filterwarnings("ignore", "behavior of `num_workers=0`", DeprecationWarning)
        kiwi = Kiwi(num_workers=0)
    for word in sorted(words):
        kiwi.add_user_word(word, "NNP", 0.0)
    kiwi.tokenize("준비")  # Kiwi plans lazily; pay that cost here, not in a request
    return kiwi


def _get_kiwi() -> Any:
    global _kiwi, _kiwi_words
    with _lock:
        if _kiwi is None:
            _kiwi_words = frozenset(_wanted_words)
            _kiwi = _new_kiwi(_kiwi_words)
        return _kiwi


def preload(background: bool = False) -> None:
    """Load Kiwi now (a service does this at start, so that no request waits ~3 s for it)."""
    if background:
        threading.Thread(target=_get_kiwi, name="kiwi-load", daemon=True).start()
    else:
        _get_kiwi()


def _rebuild_in_background() -> None:
    global _rebuilding

    def run() -> None:
        global _kiwi, _kiwi_words, _rebuilding
        try:
            while True:
                words = frozenset(_wanted_words)
                kiwi = _new_kiwi(words)
                with _lock:
                    _kiwi, _kiwi_words = kiwi, words
                    _boundaries.cache_clear()
                    if words == _wanted_words:
                        break
        finally:
            _rebuilding = False

    if not _rebuilding:
        _rebuilding = True
        threading.Thread(target=run, name="kiwi-rebuild", daemon=True).start()


def add_user_words(words: Iterable[str]) -> None:
    """Register Korean labels as Kiwi user words (in the background if Kiwi is loaded)."""
    new = {w for w in words if w} - _wanted_words
    if not new:
        return
    _wanted_words.update(new)
    if _kiwi is None:
        return  # loaded with every wanted word on first need
    _rebuild_in_background()


def particle_follows(text: str, end: int) -> bool:
    """True when text[end:] starts with a particle that ends the Hangul run."""
    stop = end
    while stop < len(text) and "\uac00" <= text[stop] <= "\ud7a3" and stop - end < 5:
        stop += 1
    if stop < len(text) and text[stop].isalnum():
        return False
    return text[end:stop] in PARTICLES


@lru_cache(maxsize=65536)
def _boundaries(chunk: str) -> tuple[frozenset[int], frozenset[int], tuple[tuple[int, int, str], ...]]:
    kiwi = _get_kiwi()
    with _lock:
        try:
            tokens = kiwi.tokenize(chunk)
        except Exception:  # noqa: BLE001 - odd input (lone surrogates...) means no boundaries
            return frozenset(), frozenset(), ()
    starts = frozenset(t.start for t in tokens)
    ends = frozenset(t.start + t.len for t in tokens)
    return starts, ends, tuple((t.start, t.start + t.len, t.tag) for t in tokens)


# What may be glued right after a noun: particles, endings, the copula, noun suffixes
# (들, 화, 적), other nouns (compounds like 디지털트윈기술), Latin letters and numbers.
# A verb or adverb there (Kiwi reads 트윈스 as 트윈 + 스/VV) means the word goes on.
_MAY_FOLLOW = ("J", "E", "VCP", "VCN", "XSN", "XSV", "XSA", "NN", "NR", "NP", "SL", "SN", "SH", "S")


def is_whole_word(chunk: str, start: int, end: int) -> bool:
    """True when chunk[start:end] begins and ends on Kiwi morpheme boundaries, and what is
    glued after it is grammar or another noun, not the rest of a longer word."""
    starts, ends, tokens = _boundaries(chunk)
    if start not in starts or end not in ends:
        return False
    following = next((tag for a, _, tag in tokens if a == end), None)
    return following is None or following.startswith(_MAY_FOLLOW)


def content_words(text: str) -> list[str]:
    """The meaning-bearing morphemes of Korean text (particles and endings dropped)."""
    words = text.split()
    if not any(w.endswith(p) for w in words for p in PARTICLES):
        return words  # nothing to strip: no need for Kiwi
    _, _, tokens = _boundaries(text)
    return [text[a:b] for a, b, tag in tokens if tag.startswith(_CONTENT_TAGS) and b > a]
