-- When retention deletes the oldest ledger events, the hash of the last deleted one is kept here,
-- so the remaining chain still verifies from a known starting point.
CREATE TABLE ledger_anchor (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    -- The position of the last deleted event.
    seq         INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    deleted     INTEGER NOT NULL
);
