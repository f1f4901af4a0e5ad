"""The glossary engine: glossary, matching, corpus reading, the index and its one writer.

Never imports Flask: the service, the CLI and the tests drive it through these names.
`open_index` opens either backend; the PostgreSQL one is imported only when it is asked for.
"""

from index.backends import (
    Hit,
    IndexCounts,
    IndexState,
    PassageIndex,
    Snapshot,
    StoredPassage,
    WhooshIndex,
    index_exists,
    open_index,
)
from index.corpus import Document, Passage, parse_document, read_corpus, validate_document_id
from index.errors import (
    DocumentError,
    GlossaryInvalid,
    GlossaryServiceError,
    IndexMissing,
    IndexOutdated,
    NotFound,
    Problem,
    WriterBusy,
)
from index.glossary import Glossary, Label, Term
from index.library import Library
from index.live import LiveGlossary
from index.matcher import Match, Matcher, match_terms
from index.postings import PassageFilter, TermStats
from index.store import Store
from index.vocabulary import load_glossary, parse_glossary
from index.writer import BackgroundWriter

__all__ = [
    "BackgroundWriter",
    "Document",
    "DocumentError",
    "Glossary",
    "GlossaryInvalid",
    "GlossaryServiceError",
    "Hit",
    "IndexCounts",
    "IndexMissing",
    "IndexOutdated",
    "IndexState",
    "Label",
    "Library",
    "LiveGlossary",
    "Match",
    "Matcher",
    "NotFound",
    "Passage",
    "PassageFilter",
    "PassageIndex",
    "Problem",
    "Snapshot",
    "Store",
    "StoredPassage",
    "Term",
    "TermStats",
    "WhooshIndex",
    "WriterBusy",
    "index_exists",
    "load_glossary",
    "match_terms",
    "open_index",
    "parse_document",
    "parse_glossary",
    "read_corpus",
    "validate_document_id",
]
