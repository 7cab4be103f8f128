-- When a completed erasure request unlinked the event from its customer (the customer number is
-- gone). The row keeps its hash as a tombstone: the chain still verifies through it, though its
-- content can no longer be checked against the hash.
ALTER TABLE consent_events ADD COLUMN unlinked_at TEXT;

-- The ledger stays append-only but for that one change: the customer number goes, the moment of
-- the unlinking is set, and nothing else moves.
DROP TRIGGER consent_events_no_update;
CREATE TRIGGER consent_events_no_update BEFORE UPDATE ON consent_events
WHEN NOT (
    OLD.customer IS NOT NULL AND NEW.customer IS NULL
    AND OLD.unlinked_at IS NULL AND NEW.unlinked_at IS NOT NULL
    AND NEW.seq IS OLD.seq AND NEW.event_id IS OLD.event_id
    AND NEW.idempotency_key IS OLD.idempotency_key AND NEW.site IS OLD.site
    AND NEW.subject_id IS OLD.subject_id AND NEW.recorded_at IS OLD.recorded_at
    AND NEW.kind IS OLD.kind AND NEW.source IS OLD.source AND NEW.choices IS OLD.choices
    AND NEW.policy_version IS OLD.policy_version AND NEW.language IS OLD.language
    AND NEW.notice_hash IS OLD.notice_hash AND NEW.user_agent_family IS OLD.user_agent_family
    AND NEW.gpc IS OLD.gpc AND NEW.expires_at IS OLD.expires_at
    AND NEW.prev_hash IS OLD.prev_hash AND NEW.hash IS OLD.hash
    AND NEW.withdrawn IS OLD.withdrawn
)
BEGIN
    SELECT RAISE(ABORT, 'the consent ledger is append-only');
END;
