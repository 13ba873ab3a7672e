-- The pool's own secrets (the key of its CSRF tokens), shared by every replica
-- on the database and kept across restarts: the first value stored for a name
-- wins. A value is base64url text, or `sealed:` and base64url of its
-- AES-256-GCM encryption when USERPOOL_KEY_ENCRYPTION_KEY is set.
CREATE TABLE pool_secrets (
    name   TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
