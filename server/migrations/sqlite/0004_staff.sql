-- Staff of the admin console, their sessions, and the hash-chained audit log of what they do.
CREATE TABLE staff (
    email           TEXT    PRIMARY KEY,
    -- argon2id PHC string.
    password_hash   TEXT    NOT NULL,
    -- Base32 TOTP secret (RFC 6238, SHA-1, 30 s, 6 digits).
    totp_secret     TEXT    NOT NULL,
    role            TEXT    NOT NULL CHECK (role IN ('officer', 'viewer')),
    created_at      TEXT    NOT NULL,
    -- The last TOTP time step accepted, so a code cannot be replayed.
    last_totp_step  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE staff_sessions (
    -- SHA-256 of the session cookie's value.
    token_hash  TEXT    PRIMARY KEY,
    email       TEXT    NOT NULL REFERENCES staff (email) ON DELETE CASCADE,
    created_at  TEXT    NOT NULL,
    expires_at  TEXT    NOT NULL
);

CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    action      TEXT    NOT NULL,
    request_id  TEXT,
    detail      TEXT,
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;
