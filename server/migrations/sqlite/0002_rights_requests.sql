-- Rights requests (PRODUCT.md §6.3), their history, and the e-mail outbox (§6.3, last point).
CREATE TABLE rights_requests (
    id                  TEXT    PRIMARY KEY,
    site                TEXT    NOT NULL,
    kind                TEXT    NOT NULL,
    status              TEXT    NOT NULL,
    language            TEXT    NOT NULL,
    email               TEXT,
    customer            TEXT,
    name                TEXT,
    details             TEXT,
    -- SHA-256 of the requester's status token; the token itself is shown once and never stored.
    status_token_hash   TEXT    NOT NULL,
    received_at         TEXT    NOT NULL,
    due_date            TEXT    NOT NULL,
    extension_reason    TEXT,
    answer              TEXT,
    refusal_reasons     TEXT,
    -- The e-mail code, salted and hashed; cleared once the request is verified.
    code_hash           TEXT,
    code_expires_at     TEXT,
    code_attempts       INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX rights_requests_status ON rights_requests (status, received_at);

CREATE TABLE request_history (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    request_id  TEXT    NOT NULL REFERENCES rights_requests (id) ON DELETE CASCADE,
    at          TEXT    NOT NULL,
    status      TEXT    NOT NULL,
    -- `requester`, `system` or a staff member's e-mail address.
    actor       TEXT    NOT NULL,
    note        TEXT
);

CREATE INDEX request_history_request ON request_history (request_id, seq);

CREATE TABLE outbox (
    id          TEXT    PRIMARY KEY,
    to_address  TEXT    NOT NULL,
    subject     TEXT    NOT NULL,
    body        TEXT    NOT NULL,
    queued_at   TEXT    NOT NULL,
    sent_at     TEXT,
    attempts    INTEGER NOT NULL DEFAULT 0,
    last_error  TEXT,
    request_id  TEXT    REFERENCES rights_requests (id) ON DELETE CASCADE
);
