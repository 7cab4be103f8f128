-- The subject id of the browser a request was filed from, so an access answer can include that
-- browser's consent history.
ALTER TABLE rights_requests ADD COLUMN subject TEXT;

-- Files of an answer, encrypted at rest (XChaCha20-Poly1305, the row id as associated data).
CREATE TABLE request_attachments (
    id            TEXT    PRIMARY KEY,
    request_id    TEXT    NOT NULL REFERENCES rights_requests (id) ON DELETE CASCADE,
    name          TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    -- 1 for the automatic export of what the server holds, 0 for a file staff attached.
    export        INTEGER NOT NULL,
    nonce         BLOB    NOT NULL,
    ciphertext    BLOB    NOT NULL,
    created_at    TEXT    NOT NULL
);

CREATE INDEX request_attachments_request ON request_attachments (request_id);
