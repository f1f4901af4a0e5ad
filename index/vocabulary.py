"""Everything derived from one glossary version, built once per version and shared in a process.

The writer needs the matcher of the glossary an index was matched with; readers need lookup
tables and the matcher for annotate. Both ask here by version, so that a process builds each
at most once, and holds only the few versions that are in use.
"""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, field

from index.glossary import LABEL_KIND_ORDER, Glossary, Label, Term, parse_glossary
from index.matcher import Matcher
from index.text import fold_label, is_hangul

_KEEP = 4  # versions held per process: the served one, the one being applied, a spare
_lock = threading.Lock()
_glossaries: OrderedDict[str, Glossary] = OrderedDict()
_vocabularies: OrderedDict[str, Vocabulary] = OrderedDict()


@dataclass
class Vocabulary:
    """A glossary with its matcher and label tables."""

    glossary: Glossary
    matcher: Matcher
    exact: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    caseless: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    folded: dict[str, tuple[Term, Label]] = field(default_factory=dict)
    prefixes: list[tuple[str, int, int, str, str]] = field(default_factory=list)


def _remember(cache: OrderedDict[str, object], key: str, value: object) -> None:
    cache[key] = value
    cache.move_to_end(key)
    while len(cache) > _KEEP:
        cache.popitem(last=False)


def glossary_from_text(text: str, path: str = "glossary.yaml", version: str | None = None) -> Glossary:
    """A glossary stored with an index (validated when it was stored, so examples are not re-run)."""
    version = version or hashlib.sha256(text.encode()).hexdigest()[:16]
    with _lock:
        found = _glossaries.get(version)
    if found is None:
        found = parse_glossary(text, path, check_examples=False)
        with _lock:
            _remember(_glossaries, version, found)  # type: ignore[arg-type]
    return found


def vocabulary_for(glossary: Glossary) -> Vocabulary:
    with _lock:
        found = _vocabularies.get(glossary.version)
    if found is None:
        found = _build(glossary)
        with _lock:
            _remember(_vocabularies, glossary.version, found)  # type: ignore[arg-type]
    return found


def matcher_for(glossary: Glossary) -> Matcher:
    return vocabulary_for(glossary).matcher


def _build(glossary: Glossary) -> Vocabulary:
    vocab = Vocabulary(glossary, Matcher(glossary.terms))
    for term in glossary.terms:
        for label in sorted(term.labels, key=lambda lb: LABEL_KIND_ORDER[lb.kind]):
            vocab.exact.setdefault(label.text, (term, label))
            vocab.caseless.setdefault(label.text.casefold(), (term, label))
            key = fold_label(label.text)
            vocab.folded.setdefault(key, (term, label))
            shown = term.term if label.kind == "hidden" else label.text
            starts = [0] + [m.end() for m in re.finditer(r" ", key)]
            for start in starts:
                vocab.prefixes.append((key[start:], 0 if start == 0 else 1, LABEL_KIND_ORDER[label.kind], term.id, shown))
    vocab.prefixes.sort()
    return vocab


# -- what a glossary edit can change -----------------------------------------------------------
def _label_keys(terms: Iterable[Term]) -> set[tuple[str, str, bool]]:
    return {(t.id, lb.text, lb.case_sensitive) for t in terms for lb in t.labels}


def changed_labels(old: Glossary | None, new: Glossary) -> list[str] | None:
    """Labels added, removed or changed between two versions (None: everything may change).

    A passage's matches change only where one of these labels occurs: elsewhere the matcher
    sees exactly the same forms, so the same hits win.
    """
    if old is None:
        return None
    return sorted({label for _, label, _ in _label_keys(old.terms) ^ _label_keys(new.terms)})


def overlap_pieces(label: str) -> set[str]:
    text = fold_label(label)
    return {w for w in re.findall(r"\w+", text) if not is_hangul(w[0])} | {c for c in text if is_hangul(c)}
