"""The interface every index implements (whoosh, PostgreSQL): one writer, snapshots for readers.

The writer matches text: documents are matched into term postings when they are written, and
a glossary edit re-matches the passages it can change, in the same commit that stores the new
glossary. Readers take a `Snapshot`, one per request, and never match corpus text: a snapshot
pairs one glossary version with the postings made with it, so answers never mix versions.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, NamedTuple, Self

from index.corpus import Document
from index.glossary import Glossary
from index.matcher import Match
from index.postings import CORPUS, PassageFilter, TermStats, VersionedCache

Progress = Callable[[int, int], None]  # (done, total)


class StoredPassage(NamedTuple):
    """A passage as the index returns it, with its document's metadata.

    NamedTuples, this and Hit, like Match: a page of passages builds one of each per passage,
    and a frozen dataclass costs four times as much to construct (a sixth of a page's time).
    """

    id: str
    doc: str
    ordinal: int
    text: str
    title: str
    date: str | None
    lang: str
    source: str | None

    def sort_key_newest_first(self) -> tuple[object, ...]:
        # Undated documents sort last; within a date, by document then paragraph order.
        return (self.date is None, _negated(self.date or ""), self.doc, self.ordinal)


def _negated(date: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in date)


class Hit(NamedTuple):
    """A passage that uses a term, with the term's matches in it."""

    passage: StoredPassage
    matches: tuple[Match, ...]


SORTS: dict[str, Callable[[Hit], tuple[object, ...]]] = {
    "newest": lambda h: h.passage.sort_key_newest_first(),
    "oldest": lambda h: (h.passage.date is None, h.passage.date or "", h.passage.doc, h.passage.ordinal),
    "document": lambda h: (h.passage.doc, h.passage.ordinal),
    "matches": lambda h: (-len(h.matches), *h.passage.sort_key_newest_first()),
}


class FirstPassages(VersionedCache["list[Hit] | None"]):
    """The newest passages of the terms last asked for, built once per index version and process.

    The passages of a term's first pages are read and built once, not at every request: on
    whoosh that was a third of a page's time, on PostgreSQL most of the database's work. Up to
    TERMS terms of about 60 KB each (None: the index keeps no head for the term).
    """

    TERMS = 64
    SIZE = 50  # passages read for a term where the index keeps no head of its own (PostgreSQL)

    def __init__(self) -> None:
        super().__init__(terms=self.TERMS)

    @staticmethod
    def page(first: list[Hit] | None, total: int, offset: int, limit: int) -> list[Hit] | None:
        """The page from a term's first passages, or None where they do not hold all of it."""
        if first is not None and (offset + limit <= len(first) or len(first) == total):
            return first[offset : offset + limit]
        return None


@dataclass(frozen=True)
class IndexCounts:
    documents: int
    passages: int


@dataclass(frozen=True)
class IndexState:
    """What an index was matched with: the glossary (text and version) and the matcher's rules."""

    glossary_text: str
    glossary_version: str
    glossary_updated_at: float  # when this glossary was stored (epoch seconds)
    matcher_version: int
    content_version: int  # bumped by every document write and re-match, not by derived data

    def as_json(self) -> dict[str, Any]:
        return {
            "glossary_text": self.glossary_text,
            "glossary_version": self.glossary_version,
            "glossary_updated_at": self.glossary_updated_at,
            "matcher_version": self.matcher_version,
            "content_version": self.content_version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> IndexState:
        return cls(
            data["glossary_text"],
            data["glossary_version"],
            float(data["glossary_updated_at"]),
            int(data["matcher_version"]),
            int(data["content_version"]),
        )


@dataclass(frozen=True)
class RematchReport:
    glossary_version: str
    documents_checked: int
    documents_changed: int
    rebuilt: bool  # True when everything was re-matched into a new generation


class Snapshot(ABC):
    """One consistent read view: a glossary version and the postings made with it."""

    version: str
    state: IndexState

    @abstractmethod
    def term_stats(self, term_id: str) -> TermStats:
        """The counts kept for a term (CORPUS: the whole corpus)."""

    @abstractmethod
    def term_page(
        self, term_id: str, where: PassageFilter, sort: str, offset: int, limit: int
    ) -> tuple[int, list[Hit]]:
        """(total, one page of the term's passages) in the given order."""

    @abstractmethod
    def shared_example(self, term_id: str, other_id: str) -> Hit | None:
        """The newest passage that uses both terms, as a hit of `term_id`."""

    @abstractmethod
    def cooccurrence(self, term_id: str, where: PassageFilter) -> Counter[str]:
        """Shared passages per other term, among the term's passages that `where` accepts."""

    @abstractmethod
    def uses(self, term_ids: list[str], labels: list[tuple[str, str]], where: PassageFilter) -> list[Hit]:
        """Every passage using one of `term_ids`, or one of the (term, label) pairs, newest first."""

    @abstractmethod
    def search(self, groups: list[list[str]], limit: int) -> list[StoredPassage]:
        """Passages containing, for every group, at least one of its keys; newest first."""

    @abstractmethod
    def get_document(self, doc_id: str) -> Document | None: ...

    @abstractmethod
    def document_passages(self, doc_id: str) -> list[tuple[StoredPassage, tuple[Match, ...]]]:
        """A document's passages with every match in them (from its postings)."""

    @abstractmethod
    def document_ids(self) -> dict[str, str]:
        """Every document id with its checksum."""

    @abstractmethod
    def all_passages(self) -> Iterator[StoredPassage]: ...

    @abstractmethod
    def recent_passages(self, limit: int) -> Iterator[StoredPassage]:
        """The passages of the newest documents (undated last), about `limit` of them."""

    @abstractmethod
    def derived(self, name: str) -> dict[str, Any] | None:
        """Derived data the writer stored (candidates): {"content_version", "computed_at", "data"}."""

    def counts(self) -> IndexCounts:
        groups = self.term_stats(CORPUS).groups.values()
        return IndexCounts(documents=sum(g[1] for g in groups), passages=sum(g[0] for g in groups))

    def passages_per_date(self) -> dict[tuple[str, str, str | None], int]:
        """Passage counts of dated documents by (date, lang, source): the corpus size over time."""
        return {
            (date, lang, source or None): n
            for (date, lang, source), (n, _) in self.term_stats(CORPUS).groups.items()
            if date
        }

    def close(self) -> None:  # noqa: B027 - optional for snapshots without resources
        """Release what the snapshot pins."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PassageIndex(ABC):
    """An index: snapshots for readers; writes, re-matches and derived data for the one writer."""

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the index changes (cheap; brings the reader up to date)."""

    @abstractmethod
    def snapshot(self) -> Snapshot: ...

    @abstractmethod
    def write(self, put: Iterable[Document] = (), delete: Iterable[str] = (), wait_seconds: float = 10.0) -> None:
        """Add or replace documents and delete others, postings included, in one durable commit."""

    @abstractmethod
    def rematch(
        self, glossary: Glossary, progress: Progress | None = None, wait_seconds: float = 10.0, everything: bool = False
    ) -> RematchReport:
        """Store `glossary` with postings re-matched wherever the edit can change them
        (`everything`: re-match every document, as after a change of the matching rules)."""

    @abstractmethod
    def replace_all(
        self,
        documents: Iterable[Document],
        glossary: Glossary,
        on_document: Callable[[Document], None] | None = None,
        procs: int = 1,
    ) -> int:
        """Replace the whole corpus and the glossary (a full build, or a copy from another backend);
        returns the number of documents. `procs`: matching processes, where the backend uses them."""

    @abstractmethod
    def store_derived(self, name: str, content_version: int, data: Any) -> None:
        """Keep derived data (computed by the writer in the background) for readers."""

    def propose_glossary(self, glossary: Glossary, file_mtime: float) -> None:  # noqa: B027 - one host: no-op
        """Offer a host's valid glossary file to the deployment's writer (kept if it is the newest)."""

    def proposed_glossary(self) -> Glossary | None:
        """The newest glossary file any host offered (None: the writer reads its own file)."""
        return None

    def ready(self) -> bool:
        """Whether the index can be read now (a readiness check); a folder always can."""
        return True

    @abstractmethod
    def try_writer_lock(self) -> bool:
        """Become the deployment's one background writer, if no other process is (kept until exit)."""

    @abstractmethod
    def publish_job(self, data: dict[str, Any]) -> None:
        """Progress of the background writer's work, for every worker's /api/status."""

    @abstractmethod
    def job(self) -> dict[str, Any] | None: ...

    def state(self) -> IndexState:
        with self.snapshot() as snap:
            return snap.state

    @abstractmethod
    def is_fresh(self) -> bool:
        """Nothing was ever built here: no index folder, or a database with no documents and no glossary."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release files or connections."""
