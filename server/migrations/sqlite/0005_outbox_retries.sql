-- Delivery retries with backoff: when the sender may try a message again.
ALTER TABLE outbox ADD COLUMN next_attempt_at TEXT;
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
