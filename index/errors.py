"""The one root of every error the engine raises."""

from __future__ import annotations

from dataclasses import dataclass


class GlossaryServiceError(Exception):
    """Root of all errors raised by `index`."""


@dataclass(frozen=True)
class Problem:
    """One problem found in a glossary file, located as precisely as we can."""

    file: str
    line: int | None
    term: str | None
    field: str | None
    message: str
    entry: str = "term"  # what `term` names: a term of the glossary, a source of sources.yaml

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        parts = [where]
        if self.term:
            parts.append(f"{self.entry} {self.term}")
        if self.field:
            parts.append(f"field {self.field}")
        return f"{': '.join(parts)}: {self.message}"

    def as_dict(self) -> dict[str, object]:
        return {"file": self.file, "line": self.line, "term": self.term, "field": self.field, "message": self.message}


class ProblemsFound(GlossaryServiceError):
    """A file we read has problems; `problems` lists every one of them."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class GlossaryInvalid(ProblemsFound):
    """The glossary file has problems."""


class SourcesInvalid(ProblemsFound):
    """sources.yaml has problems."""


class ReviewInvalid(ProblemsFound):
    """review.yaml has problems."""


class AliasConflict(GlossaryServiceError):
    """The alias is a label of another term already; `other` names it."""

    def __init__(self, message: str, other: str):
        self.other = other
        super().__init__(message)


class DocumentError(GlossaryServiceError):
    """A document cannot be read or stored (bad id, not text, not UTF-8, too large)."""


class ExtractionError(DocumentError):
    """A file is not what it claims, or has no text to take (HTML, PDF)."""


class FetchError(DocumentError):
    """A URL cannot be fetched (the source failed, timed out, sent too much); the message says why."""


class FetchRefused(FetchError):
    """A URL may not be fetched: not http(s), or a private address the allow-list does not name."""


class NotFound(GlossaryServiceError):
    """An unknown term or document."""


class WriterBusy(GlossaryServiceError):
    """Another process holds the index's write lock."""


class StorageFull(GlossaryServiceError):
    """The device holding the corpus or the index has no space left; the write changed nothing."""


class DatabaseUnavailable(GlossaryServiceError):
    """The PostgreSQL server cannot be reached (or refused the connection)."""


class IndexMissing(GlossaryServiceError):
    """There is no built index yet; the message names the command that builds it."""


class IndexOutdated(GlossaryServiceError):
    """The index was made by an older release; the message names the command that migrates it."""


class HistoryUnavailable(GlossaryServiceError):
    """The glossary file is not in a git repository (or git is missing)."""


class YamlRejected(GlossaryServiceError):
    """The YAML is malformed, too large, or uses a feature we refuse; `line` when known."""

    def __init__(self, message: str, line: int | None = None):
        self.line = line
        super().__init__(message)
