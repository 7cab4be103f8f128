-- When retention deletes the oldest audit entries (their notes and file names included), the hash
-- of the last deleted one is kept here, so the remaining chain still verifies from it.
CREATE TABLE audit_anchor (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    seq         INTEGER NOT NULL,
    hash        TEXT    NOT NULL,
    deleted     INTEGER NOT NULL
);

-- Entries go only as a prefix the anchor covers: retention moves the anchor first.
DROP TRIGGER audit_log_no_delete;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
WHEN OLD.seq > coalesce((SELECT seq FROM audit_anchor WHERE id = 1), 0)
BEGIN
    SELECT RAISE(ABORT, 'the audit log is append-only');
END;

-- Both anchors only move forward: one moved back, or removed, would let entries vanish unseen.
CREATE TRIGGER ledger_anchor_forward BEFORE UPDATE ON ledger_anchor
WHEN NEW.seq <= OLD.seq OR NEW.deleted <= OLD.deleted
BEGIN
    SELECT RAISE(ABORT, 'the ledger anchor only moves forward');
END;
CREATE TRIGGER ledger_anchor_no_delete BEFORE DELETE ON ledger_anchor
BEGIN
    SELECT RAISE(ABORT, 'the ledger anchor only moves forward');
END;
CREATE TRIGGER audit_anchor_forward BEFORE UPDATE ON audit_anchor
WHEN NEW.seq <= OLD.seq OR NEW.deleted <= OLD.deleted
BEGIN
    SELECT RAISE(ABORT, 'the audit anchor only moves forward');
END;
CREATE TRIGGER audit_anchor_no_delete BEFORE DELETE ON audit_anchor
BEGIN
    SELECT RAISE(ABORT, 'the audit anchor only moves forward');
END;
