"""The small interface every passage index implements (whoosh now, PostgreSQL next)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from index.corpus import Document


@dataclass(frozen=True)
class StoredPassage:
    """A passage as the index returns it, with its document's metadata."""

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


@dataclass(frozen=True)
class IndexCounts:
    documents: int
    passages: int


class PassageIndex(ABC):
    """Read side of an index. `version()` also brings the reader up to date, cheaply."""

    @abstractmethod
    def version(self) -> str:
        """A token that changes whenever the indexed content changes."""

    @abstractmethod
    def counts(self) -> IndexCounts: ...

    @abstractmethod
    def candidates(self, key_sets: list[list[str]]) -> Iterator[StoredPassage]:
        """Passages that contain every key of at least one key set (a superset of matches)."""

    @abstractmethod
    def search(self, groups: list[list[str]], limit: int) -> list[tuple[StoredPassage, float]]:
        """Ranked passages containing, for every group, at least one of its keys."""

    @abstractmethod
    def passages_per_date(self) -> dict[tuple[str, str, str | None], int]:
        """Passage counts of dated documents by (date, lang, source): the corpus size over time."""

    @abstractmethod
    def all_passages(self) -> Iterator[StoredPassage]: ...

    @abstractmethod
    def get_document(self, doc_id: str) -> Document | None: ...

    @abstractmethod
    def document_passages(self, doc_id: str) -> list[StoredPassage]: ...

    @abstractmethod
    def document_ids(self) -> dict[str, str]:
        """Every document id with its checksum."""

    @abstractmethod
    def write(self, put: Iterable[Document] = (), delete: Iterable[str] = (), wait_seconds: float = 10.0) -> None:
        """Add or replace documents and delete others in one durable commit (waits for another writer)."""

    def close(self) -> None:  # noqa: B027 - optional for backends without resources
        """Release files or connections."""
