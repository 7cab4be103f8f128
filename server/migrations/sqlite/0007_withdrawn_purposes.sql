-- The purposes a consent event took back (a JSON array of purpose ids; empty for most events).
ALTER TABLE consent_events ADD COLUMN withdrawn TEXT NOT NULL DEFAULT '[]';
