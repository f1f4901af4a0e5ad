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

import itertools
import os
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
# The copula after a noun (AI 팩토리입니다, 디지털 트윈이어야): the label is the use, the span
# the label alone.
COPULA_ENDINGS = frozenset(
    """
이다 다 입니다 이어야 여야 이라고 라고 인지 이지 이고 이며 며 이었다 였다 이었던 였던 이었고 였고
이었으며 였으며 이었습니다 였습니다 임 이므로 므로 이니까 이어도 여도 이라서 라서 이기 이더라도
이든지 인데 인가 인가요 이냐 이었는지 였는지 일까 이겠다 이겠지만 이구나 이네
""".split()
)
# 하다 (and the passive 되다) made from a verbal noun (자율 주행해서, 자율 주행합니다, 자율 주행되는).
HADA_ENDINGS = frozenset(
    """
하다 하고 하며 하면 하면서 하는 하던 한 할 함 합니다 합니까 했다 했고 했던 했으며 했습니다 했지만
하였다 하였고 하였으며 하였습니다 하지 하지만 하거나 하기 하게 해 해서 해야 해도 하여 하도록 하려고
하려면 하려는 하니 하므로 할수록 할까 하자 하죠 해요 했어요 합시다 하겠다 하겠습니다 하는지 했는지
된 되는 되어 되었다 됐다 되고 되며 된다 됩니다 되면 되지 되던 될 되기 되도록
""".split()
)
ENDINGS = PARTICLES | COPULA_ENDINGS | HADA_ENDINGS

# Morphemes that carry meaning; the rest (particles, endings, suffixes) are grammar.
_CONTENT_TAGS = ("NN", "NP", "NR", "SL", "SH", "SN", "XR", "VV", "VA", "MM", "MA")

_lock = threading.Lock()
_kiwi: Any = None
_kiwi_words: frozenset[str] = frozenset()
_wanted_words: set[str] = set()
_rebuilding = False


def _after_fork_in_child() -> None:
    # A fork copies the lock in whatever state another thread left it (a background rebuild may
    # hold it), and never that thread: a child starts with a free lock and no rebuild running.
    global _lock, _rebuilding
    _lock = threading.Lock()
    _rebuilding = False


os.register_at_fork(after_in_child=_after_fork_in_child)


def _new_kiwi(words: Iterable[str]) -> Any:
    from kiwipiepy import Kiwi

    # No thread pool (num_workers=0): we tokenize short chunks, and gunicorn forks the process
    # after Kiwi is loaded; threads do not survive a fork (the child aborted at exit).
    with warnings.catch_warnings():
        # Kiwi warns that num_workers=0 no longer means "every core": single-threaded is what we want.
        warnings.filterwarnings("ignore", "behavior of `num_workers=0`", DeprecationWarning)
        # Without the multi-word dictionary (WikiData names written across spaces): we ask Kiwi
        # about one space-free chunk at a time, it changed no match on any Korean text we have
        # (bench/matcher.py's corpora, the seed articles), and it cost 180 of Kiwi's 510 MB and
        # 1.3 s of its 2.3 s start in every process.
        kiwi = Kiwi(num_workers=0, load_multi_dict=False)
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
    """True when text[end:] is a particle, a copula ending or a 하다 ending that ends the Hangul run."""
    stop = end
    while stop < len(text) and "\uac00" <= text[stop] <= "\ud7a3" and stop - end < 5:
        stop += 1
    if stop < len(text) and text[stop].isalnum():
        return False
    return text[end:stop] in ENDINGS


# Tags of the nouns a solid compound may be split into (데이터센터 -> 데이터 + 센터).
_NOUN_TAGS = ("NNG", "NNP")


@lru_cache(maxsize=4096)
def compound_parts(word: str) -> tuple[str, ...] | None:
    """The nouns a solid Hangul compound is made of, or None when Kiwi reads it as one word.

    Kiwi's best reading that is more than one token decides, read as a plain analyser would:
    the glossary's labels, which this process has made user words, are blocked for the call, so
    that every process (writer, workers, CLI) splits a label the same way. It counts only when
    every part is a noun of two or more syllables, so that 휴머노이드 or 데이터 are never cut.
    """
    from kiwipiepy import MorphemeSet

    kiwi = _get_kiwi()
    with _lock:
        blocked = MorphemeSet(kiwi, [(w, "NNP") for w in sorted(_kiwi_words)])
        readings = kiwi.analyze(word, top_n=4, blocklist=blocked)
    tokens = next((tokens for tokens, _score in readings if len(tokens) > 1), None)
    if tokens is None or not all(t.tag in _NOUN_TAGS and t.len >= 2 for t in tokens):
        return None
    spans = [(t.start, t.start + t.len) for t in tokens]
    if spans[0][0] != 0 or spans[-1][1] != len(word) or any(a[1] != b[0] for a, b in itertools.pairwise(spans)):
        return None
    return tuple(word[a:b] for a, b in spans)


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
