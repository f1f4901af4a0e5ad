-- Documents and their passages; `keys` holds the shared analysis's keys of a passage, so the
-- GIN index finds exactly the candidates whoosh finds, and the matcher confirms them the same way.
CREATE TABLE documents (
    id          text PRIMARY KEY,
    title       text NOT NULL,
    date        date,
    lang        text NOT NULL,
    source      text,
    url         text,
    body        text NOT NULL,
    checksum    text NOT NULL,
    markdown    boolean NOT NULL DEFAULT true,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE passages (
    doc      text NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    ordinal  integer NOT NULL,
    text     text NOT NULL,
    keys     text[] NOT NULL,
    PRIMARY KEY (doc, ordinal)
);

CREATE INDEX passages_keys ON passages USING gin (keys);
CREATE INDEX documents_date ON documents (date DESC NULLS LAST);

-- One row: bumped by every write, so that every service host can tell that the index changed.
CREATE TABLE index_state (
    only_row  boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version   bigint NOT NULL
);
INSERT INTO index_state VALUES (true, 1);
