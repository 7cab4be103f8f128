-- The consent ledger (PRODUCT.md §6.2): append-only, each event chained to the one before it.
CREATE TABLE consent_events (
    seq               INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id          TEXT    NOT NULL UNIQUE,
    idempotency_key   TEXT    NOT NULL UNIQUE,
    site              TEXT    NOT NULL,
    subject_id        TEXT    NOT NULL,
    -- Set when a valid identity token came with the event: the customer it belongs to.
    customer          TEXT,
    recorded_at       TEXT    NOT NULL,
    kind              TEXT    NOT NULL,
    source            TEXT    NOT NULL,
    choices           TEXT    NOT NULL,
    policy_version    TEXT    NOT NULL,
    language          TEXT    NOT NULL,
    notice_hash       TEXT    NOT NULL,
    user_agent_family TEXT    NOT NULL,
    gpc               INTEGER NOT NULL,
    expires_at        TEXT    NOT NULL,
    prev_hash         TEXT    NOT NULL,
    hash              TEXT    NOT NULL
);

CREATE INDEX consent_events_subject ON consent_events (subject_id, seq);
CREATE INDEX consent_events_customer ON consent_events (customer, site, seq) WHERE customer IS NOT NULL;

CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
