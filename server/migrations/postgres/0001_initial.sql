-- The whole schema, as the SQLite migrations 0001-0009 left it. Times are RFC 3339 text in UTC,
-- exactly as the ledger and the audit log hash them (nanoseconds included), as on SQLite.

-- The consent ledger: append-only; the only change allowed is unlinking a customer (erasure).
CREATE TABLE consent_events (
    seq               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id          TEXT        NOT NULL UNIQUE,
    idempotency_key   TEXT        NOT NULL UNIQUE,
    site              TEXT        NOT NULL,
    subject_id        TEXT        NOT NULL,
    customer          TEXT,
    recorded_at       TEXT        NOT NULL,
    kind              TEXT        NOT NULL,
    source            TEXT        NOT NULL,
    choices           TEXT        NOT NULL,
    policy_version    TEXT        NOT NULL,
    language          TEXT        NOT NULL,
    notice_hash       TEXT        NOT NULL,
    user_agent_family TEXT        NOT NULL,
    gpc               BOOLEAN     NOT NULL,
    expires_at        TEXT        NOT NULL,
    prev_hash         TEXT        NOT NULL,
    hash              TEXT        NOT NULL,
    withdrawn         TEXT        NOT NULL DEFAULT '[]',
    unlinked_at       TEXT       
);
CREATE INDEX consent_events_subject ON consent_events (subject_id, seq);
CREATE INDEX consent_events_customer ON consent_events (customer, site, seq) WHERE customer IS NOT NULL;

CREATE FUNCTION consent_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.customer IS NOT NULL AND NEW.customer IS NULL
       AND OLD.unlinked_at IS NULL AND NEW.unlinked_at IS NOT NULL
       AND (to_jsonb(NEW) - 'customer' - 'unlinked_at') = (to_jsonb(OLD) - 'customer' - 'unlinked_at') THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'the consent ledger is append-only';
END $$;
-- Retention deletes the oldest events, after moving the ledger anchor to the last one deleted.
CREATE TRIGGER consent_events_append_only BEFORE UPDATE ON consent_events
    FOR EACH ROW EXECUTE FUNCTION consent_events_append_only();

-- Where each chain goes on from after retention deleted its oldest entries (one row each).
CREATE TABLE ledger_anchor (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    seq     BIGINT  NOT NULL,
    hash    TEXT    NOT NULL,
    deleted BIGINT  NOT NULL
);
CREATE TABLE audit_anchor (LIKE ledger_anchor INCLUDING ALL);
CREATE FUNCTION anchor_forward() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' OR NEW.seq <= OLD.seq OR NEW.deleted <= OLD.deleted THEN
        RAISE EXCEPTION 'a chain anchor only moves forward';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ledger_anchor_forward BEFORE UPDATE OR DELETE ON ledger_anchor
    FOR EACH ROW EXECUTE FUNCTION anchor_forward();
CREATE TRIGGER audit_anchor_forward BEFORE UPDATE OR DELETE ON audit_anchor
    FOR EACH ROW EXECUTE FUNCTION anchor_forward();

CREATE TABLE rights_requests (
    id                TEXT        PRIMARY KEY,
    site              TEXT        NOT NULL,
    kind              TEXT        NOT NULL,
    status            TEXT        NOT NULL,
    language          TEXT        NOT NULL,
    email             TEXT,
    customer          TEXT,
    name              TEXT,
    details           TEXT,
    status_token_hash TEXT        NOT NULL,
    received_at       TEXT        NOT NULL,
    due_date          TEXT        NOT NULL,
    extension_reason  TEXT,
    answer            TEXT,
    refusal_reasons   TEXT,
    code_hash         TEXT,
    code_expires_at   TEXT       ,
    code_attempts     BIGINT      NOT NULL DEFAULT 0,
    subject           TEXT
);
CREATE INDEX rights_requests_status ON rights_requests (status, received_at);
CREATE INDEX rights_requests_customer ON rights_requests (customer) WHERE customer IS NOT NULL;
CREATE INDEX rights_requests_email ON rights_requests (email) WHERE email IS NOT NULL;

CREATE TABLE request_history (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    request_id TEXT        NOT NULL REFERENCES rights_requests (id) ON DELETE CASCADE,
    at         TEXT        NOT NULL,
    status     TEXT        NOT NULL,
    actor      TEXT        NOT NULL,
    note       TEXT
);
CREATE INDEX request_history_request ON request_history (request_id, seq);

CREATE TABLE outbox (
    seq             BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id              TEXT        PRIMARY KEY,
    to_address      TEXT        NOT NULL,
    subject         TEXT        NOT NULL,
    body            TEXT        NOT NULL,
    queued_at       TEXT        NOT NULL,
    sent_at         TEXT       ,
    attempts        BIGINT      NOT NULL DEFAULT 0,
    last_error      TEXT,
    next_attempt_at TEXT       ,
    request_id      TEXT REFERENCES rights_requests (id) ON DELETE CASCADE
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);

CREATE TABLE request_attachments (
    seq          BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    id           TEXT        PRIMARY KEY,
    request_id   TEXT        NOT NULL REFERENCES rights_requests (id) ON DELETE CASCADE,
    name         TEXT        NOT NULL,
    content_type TEXT        NOT NULL,
    size         BIGINT      NOT NULL,
    export       BOOLEAN     NOT NULL,
    nonce        BYTEA       NOT NULL,
    ciphertext   BYTEA       NOT NULL,
    created_at   TEXT        NOT NULL
);
CREATE INDEX request_attachments_request ON request_attachments (request_id);

CREATE TABLE staff (
    email          TEXT        PRIMARY KEY,
    password_hash  TEXT        NOT NULL,
    totp_secret    TEXT        NOT NULL,
    role           TEXT        NOT NULL CHECK (role IN ('officer', 'viewer')),
    created_at     TEXT        NOT NULL,
    last_totp_step BIGINT      NOT NULL DEFAULT 0
);

CREATE TABLE staff_sessions (
    token_hash TEXT        PRIMARY KEY,
    email      TEXT        NOT NULL REFERENCES staff (email) ON DELETE CASCADE,
    created_at TEXT        NOT NULL,
    expires_at TEXT        NOT NULL
);

-- The audit log: append-only; retention deletes only entries at or below the audit anchor.
CREATE TABLE audit_log (
    seq        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at         TEXT NOT NULL,
    actor      TEXT NOT NULL,
    action     TEXT NOT NULL,
    request_id TEXT,
    detail     TEXT,
    prev_hash  TEXT NOT NULL,
    hash       TEXT NOT NULL
);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND OLD.seq <= coalesce((SELECT seq FROM audit_anchor WHERE id = 1), 0) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'the audit log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
