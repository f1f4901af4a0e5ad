-- The glossary every host serves: a host that sees a valid edit of its glossary.yaml publishes
-- it here; the others poll `version` (one cheap row read every half second) and load it.
CREATE TABLE shared_glossary (
    only_row    boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version     text NOT NULL,
    text        text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
