"""Alias suggestions: precision of the confident ones against planted aliases, and the time to
compute them for the whole glossary.

    python bench/aliases.py [--sizes 10000,200000]

Each size uses the synthetic corpus of bench/core.py (made once, kept in bench/out), and the
project's sample corpus is run too. Into each, deterministically, we plant what a writer does:
for some terms with a label of two or more words, the definition of an abbreviation of it
("digital twin (DT)") in a few documents; for some labels of three or more words, a short form
after the full label in the same document ("... national AI computing centre ... the computing
centre"). A confident suggestion is right when it is a planted (term, alias). Printed: planted,
suggested, confident, confident and right, precision and recall of the confident ones, and
the seconds to scan every passage (the background writer's cost; reading the corpus excluded),
against the seconds of the plain matcher over the same passages (the baseline of the same run).
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from index.aliases import AliasFinder  # noqa: E402
from index.backends.base import StoredPassage  # noqa: E402
from index.corpus import read_corpus  # noqa: E402
from index.glossary import Glossary  # noqa: E402
from index.vocabulary import load_glossary, matcher_for  # noqa: E402
from tests.support import ROOT  # noqa: E402
from tests.support.synth import SYNTH_VERSION, bench_glossary, generate  # noqa: E402

OUT = ROOT / "bench" / "out"


def passages_of(folder: Path) -> list[StoredPassage]:
    found = []
    for doc in read_corpus(folder):
        for p in doc.passages:
            found.append(StoredPassage(p.id, doc.id, p.ordinal, p.text, doc.title, doc.date, doc.lang, doc.source))
    return found


def initials(label: str) -> str:
    return "".join(w[0].upper() for w in label.replace("-", " ").split() if w[0].isalpha())


def plant(passages: list[StoredPassage], glossary: Glossary, seed: int = 3) -> set[tuple[str, str]]:
    """Plant abbreviation definitions and short forms in place; returns the planted (term, alias)."""
    rng = random.Random(seed)
    labels = {fold(lb.text) for t in glossary.terms for lb in t.labels}
    by_doc: dict[str, list[int]] = {}
    for i, p in enumerate(passages):
        if p.lang == "en":
            by_doc.setdefault(p.doc, []).append(i)
    docs = sorted(by_doc)
    truth: set[tuple[str, str]] = set()
    terms = [t for t in glossary.terms if t.status != "deprecated"]
    for term in rng.sample(terms, min(len(terms), 12)):
        english = [lb.text for lb in term.labels if lb.lang == "en" and len(lb.text.split()) >= 2]
        if not english:
            continue
        label = english[0]
        short = initials(label)
        if len(short) < 2 or fold(short) in labels:
            continue
        for doc in rng.sample(docs, min(len(docs), 3)):
            i = by_doc[doc][0]
            _append(passages, i, f"Analysts described the {label} ({short}) in detail")
        truth.add((term.id, short))
    for term in terms:
        long = [lb.text for lb in term.labels if lb.lang == "en" and len(lb.text.split()) >= 3]
        if not long or rng.random() < 0.3:
            continue
        head = " ".join(long[0].split()[-2:])
        if fold(head) in labels:
            continue
        for doc in rng.sample(docs, min(len(docs), 3)):
            first, *rest = by_doc[doc]
            if not rest:
                continue
            _append(passages, first, f"They toured the {long[0]} last year")
            _append(passages, rest[0], f"Staff at the {head} were busy")
        truth.add((term.id, head))
    return truth


def fold(text: str) -> str:
    return " ".join(text.lower().replace("-", " ").split())


def _append(passages: list[StoredPassage], i: int, sentence: str) -> None:
    p = passages[i]
    passages[i] = StoredPassage(p.id, p.doc, p.ordinal, f"{p.text} {sentence}.", p.title, p.date, p.lang, p.source)


def run(name: str, passages: list[StoredPassage], glossary: Glossary) -> None:
    truth = plant(passages, glossary)
    matcher = matcher_for(glossary)
    started = time.perf_counter()
    for p in passages:
        matcher.match(p.text)
    baseline = time.perf_counter() - started
    started = time.perf_counter()
    finder = AliasFinder(glossary, matcher)
    finder.scan(passages)
    found = finder.suggestions()
    seconds = time.perf_counter() - started
    confident = [s for s in found if s.confident and s.kind != "cross-reference"]
    right = [s for s in confident if (s.term, s.alias) in truth]
    precision = len(right) / len(confident) if confident else 1.0
    recall = len({(s.term, s.alias) for s in right}) / len(truth) if truth else 1.0
    print(
        f"{name:<22} {len(passages):>8} {len(truth):>8} {len(found):>10} {len(confident):>10} {len(right):>6}"
        f" {precision:>10.3f} {recall:>7.3f} {seconds:>9.1f} {baseline:>9.1f} {seconds / baseline:>6.2f}",
        flush=True,
    )
    for s in confident:
        if (s.term, s.alias) not in truth:
            print(f"    not planted: {s.term} <- {s.alias!r} ({s.kind}, {s.score})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,200000")
    args = parser.parse_args()
    glossary = load_glossary(bench_glossary(ROOT, OUT / "glossary-bench.yaml"))
    print(
        f"{'corpus':<22} {'passages':>8} {'planted':>8} {'suggested':>10} {'confident':>10} {'right':>6}"
        f" {'precision':>10} {'recall':>7} {'scan s':>9} {'match s':>9} {'ratio':>6}"
    )
    run("sample corpus", passages_of(ROOT / "corpus"), load_glossary(ROOT / "glossary.yaml"))
    for size in (int(s) for s in args.sizes.split(",")):
        folder = OUT / f"corpus-{size}-v{SYNTH_VERSION}"
        if not folder.is_dir():
            generate(glossary, size, folder)
        run(f"synthetic {size}", passages_of(folder), glossary)


if __name__ == "__main__":
    main()
