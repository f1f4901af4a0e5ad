-- Term postings: one row per (term, passage) with the matches in it, written by the one writer
-- in the same transaction as the documents; readers page through them and never match text.
CREATE TABLE postings (
    term     text NOT NULL,
    doc      text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal  integer NOT NULL,
    date     date,
    lang     text NOT NULL,
    source   text,
    labels   text[] NOT NULL,   -- hashes of (term, label) for the labels used: the deprecated-usage report
    matches  jsonb NOT NULL,    -- [[start, end, label, rule, lang, label_status], ...]
    PRIMARY KEY (term, doc, ordinal)
);
-- "A term's passages, newest first", filtered by date; and a document's postings.
CREATE INDEX postings_term_date ON postings (term, date DESC NULLS LAST, doc, ordinal);
CREATE INDEX postings_doc ON postings (doc, ordinal);
CREATE INDEX postings_labels ON postings USING gin (labels);

-- Per-term counts kept beside the postings (passages and documents per date, language and
-- source; shared passages per other term), updated by deltas in the writer's transaction.
CREATE TABLE term_stats (
    term   text PRIMARY KEY,
    stats  jsonb NOT NULL
);

-- Derived data the background writer computes (candidate terms) and its progress.
CREATE TABLE derived (
    name             text PRIMARY KEY,
    content_version  bigint NOT NULL,
    computed_at      double precision NOT NULL,
    data             jsonb NOT NULL
);
CREATE TABLE job_status (
    name  text PRIMARY KEY,
    data  jsonb NOT NULL
);

-- The glossary the postings were matched with: every host serves this one, so the glossary
-- and the postings always change together.
ALTER TABLE index_state
    ADD COLUMN glossary_text text,
    ADD COLUMN glossary_version text,
    ADD COLUMN glossary_updated_at double precision,
    ADD COLUMN matcher_version integer,
    ADD COLUMN content_version bigint NOT NULL DEFAULT 0;
-- shared_glossary now holds the newest glossary file any host has seen (a proposal): the one
-- background writer re-matches it and stores it in index_state with the postings.
