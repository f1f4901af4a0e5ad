"""The glossary engine: glossary, matching, corpus reading and the passage index.

Never imports Flask: the service, the CLI and the tests drive it through these names.
The PostgreSQL backend is imported on demand (`index.postgres_backend`), so that a whoosh-only
deployment does not load the database driver.
"""

from index.backend import IndexCounts, PassageIndex, StoredPassage
from index.corpus import Document, Passage, parse_document, read_corpus, validate_document_id
from index.errors import DocumentError, GlossaryInvalid, GlossaryServiceError, NotFound, Problem, WriterBusy
from index.glossary import Glossary, Label, Term, load_glossary, parse_glossary
from index.library import Library
from index.live import LiveGlossary
from index.matcher import Match, Matcher, match_terms
from index.store import Hit, PassageFilter, Store
from index.whoosh_backend import IndexMissing, WhooshIndex, index_exists, rebuild

__all__ = [
    "Document", "DocumentError", "Glossary", "GlossaryInvalid", "GlossaryServiceError", "Hit", "IndexCounts",
    "IndexMissing", "Label", "Library", "LiveGlossary", "Match", "Matcher", "NotFound", "Passage", "PassageFilter",
    "PassageIndex", "Problem", "Store", "StoredPassage", "Term", "WhooshIndex", "WriterBusy", "index_exists",
    "load_glossary", "match_terms", "parse_document", "parse_glossary", "read_corpus", "rebuild",
    "validate_document_id",
]
