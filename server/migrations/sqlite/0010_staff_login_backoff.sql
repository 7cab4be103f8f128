-- Wrong sign-ins per account, kept with the account so that every instance and every restart
-- sees the same backoff: how many in a row, and until when the next attempt waits.
ALTER TABLE staff ADD COLUMN failed_logins INTEGER NOT NULL DEFAULT 0;
ALTER TABLE staff ADD COLUMN login_wait_until TEXT;
