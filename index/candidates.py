"""Candidate terms: recurring noun phrases of the corpus that the glossary does not have yet.

Phrases are runs of two to four content words (no stop words, no verbs from a small list or
ending in -ed, no -ly adverbs, no numbers on their own, broken at possessives) inside a
passage. A phrase ranks higher the more of its words are already glossary vocabulary (it
belongs to the field: this weighs most), the more documents and passages use it, and the
faster it rises. Names (every word capitalised, like a person or a place)
and phrases that are already labels are left out.
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from index.backends.base import StoredPassage
from index.glossary import Glossary
from index.matcher import label_forms
from index.text import fold_label

DERIVED_NAME = "candidates"  # under which the writer stores them for readers

_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:-[A-Za-z0-9]+)*(?:['’]s\b)?|\d+[A-Za-z]+[A-Za-z0-9]*")
_SPLIT = re.compile(r"[.,;:!?()\[\]\"“”—–]|\s-\s|\n")

STOP = frozenset(
    """
a about above after again against all also am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further had has
have having he her here hers herself him himself his how i if in into is it its itself just me more
most my myself no nor not now of off on once only or other our ours ourselves out over own same she
should so some such than that the their theirs them themselves then there these they this those
through to too under until up very was we were what when where which while who whom why will with
would you your yours yourself yourselves one two three four five six seven eight nine ten first
second third last next new many much several every per via like unlike within without across
among around beyond upon according including says said say told according via since whose
reportedly likely potentially significantly heavily closely already still even ever just
major key main important significant massive strong various similar potential simple real
top big large small great good better best high higher long little less least future recent
current early late growing ongoing immense dominant perfect serious capable powerful advanced
unique essential exact global local regional remain remains make makes made take takes taking
use uses using used become becomes became help helps aim aims aimed plan plans planned expect
expected provide providing hold held meet met discuss visit visiting move moving show shows
week weeks month months year years day days time times way ways thing things lot lots part
mr ms mrs dr inc ltd co corp am pm
include includes included establish establishes establishing express expresses expressed note notes noted
face faces faced highlight highlights highlighted increase increases increased require requires required
prioritize prioritizes prioritized controls enable enables enabled create creates created
build builds develop develops co-develop supply supplies shares wished
""".split()
)
# Word endings that mark verbs and adverbs in running text (past tense, -ly adverbs).
_NOT_A_NOUN = re.compile(r"(?:ed|ly)$")


@dataclass(frozen=True)
class Candidate:
    phrase: str
    passages: int
    documents: int
    rise: float  # share of uses in the later half of the dated corpus, 0..1 (0.5 = flat)
    score: float
    examples: tuple[StoredPassage, ...]


def _phrases(text: str, max_words: int = 4) -> Iterable[tuple[tuple[str, ...], tuple[tuple[str, ...], ...]]]:
    """Each phrase with the phrases one word longer that contain it here (its parents)."""
    for chunk in _SPLIT.split(text):
        run: list[str] = []
        for word in [*_WORD.findall(chunk), ""]:
            if word.endswith(("'s", "’s")):  # a possessive ends a phrase: "Nvidia's chip"
                word = ""
            if word and word.lower() not in STOP and not word.isdigit() and not _NOT_A_NOUN.search(word.lower()):
                run.append(word)
                continue
            for size in range(2, max_words + 1):
                for i in range(len(run) - size + 1):
                    parents = []
                    if size < max_words:
                        if i > 0:
                            parents.append(tuple(run[i - 1 : i + size]))
                        if i + size < len(run):
                            parents.append(tuple(run[i : i + size + 1]))
                    yield tuple(run[i : i + size]), tuple(parents)
            run = []


def _is_name(words: tuple[str, ...]) -> bool:
    """Every word capitalised (and not only acronyms): a person, place or organisation."""
    return all(w[0].isupper() for w in words) and not all(w.isupper() for w in words)


def find_candidates(
    passages: Iterable[StoredPassage], glossary: Glossary, limit: int = 50, examples: int = 3, min_passages: int = 1
) -> list[Candidate]:
    """Rank recurring phrases that are not glossary labels (see the module docstring)."""
    known = {fold_label(form) for t in glossary.terms for lb in t.labels for form, _ in label_forms(lb)}
    vocabulary = {w for t in glossary.terms for lb in t.labels for w in fold_label(lb.text).split()}
    seen_in: dict[str, list[StoredPassage]] = defaultdict(list)
    names: Counter[str] = Counter()
    spelled: dict[str, Counter[str]] = defaultdict(Counter)
    dates: list[str] = []
    inside: dict[str, Counter[str]] = defaultdict(Counter)  # phrase -> longer phrase -> passages
    for passage in passages:
        if passage.date:
            dates.append(passage.date)
        found_here: dict[str, set[str]] = {}
        for words, parents in _phrases(passage.text):
            key = " ".join(w.lower() for w in words)
            if key not in found_here:
                found_here[key] = set()
                seen_in[key].append(passage)
                spelled[key][" ".join(words)] += 1
                names[key] += _is_name(words)
            found_here[key].update(" ".join(w.lower() for w in p) for p in parents)
        for key, containing in found_here.items():
            inside[key].update(containing)
    middle = sorted(dates)[len(dates) // 2] if dates else None
    found = []
    for key, where in seen_in.items():
        if len(where) < min_passages or key in known or names[key] * 2 > len(where):
            continue
        if any(n == len(where) and parent not in known for parent, n in inside[key].items()):
            continue  # never used outside one longer phrase: that phrase is the candidate
        documents = len({p.doc for p in where})
        domain = sum(1 for w in key.split() if w in vocabulary)
        dated = [p.date for p in where if p.date]
        rise = (sum(1 for d in dated if middle and d > middle) / len(dated)) if dated else 0.5
        # Belonging to the field weighs most (squared), then how widely and how often it is used.
        score = math.sqrt(len(where)) * (1 + math.log(documents)) * (1 + domain) ** 2 * (0.5 + rise)
        found.append(
            Candidate(
                spelled[key].most_common(1)[0][0],
                len(where),
                documents,
                round(rise, 3),
                round(score, 3),
                tuple(where[:examples]),
            )
        )
    found.sort(key=lambda c: (-c.score, -c.passages, c.phrase))
    return found[:limit]
