-- All timestamps are Unix seconds. Bearer secrets (codes, tokens, session ids)
-- are stored only as base64url SHA-256 digests.

CREATE TABLE users (
    sub            TEXT PRIMARY KEY,          -- UUID v4, also the Cognito username
    email          TEXT NOT NULL UNIQUE,      -- lower-cased; the sign-in name
    password_hash  TEXT NOT NULL,             -- Argon2id PHC string
    confirmed      INTEGER NOT NULL DEFAULT 0,
    failed_logins  INTEGER NOT NULL DEFAULT 0,
    locked_until   INTEGER NOT NULL DEFAULT 0,
    created_at     INTEGER NOT NULL,
    updated_at     INTEGER NOT NULL
) STRICT;

-- Further standard or custom attributes (name, custom:*); email lives in users.
CREATE TABLE user_attributes (
    sub    TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (sub, name)
) STRICT;

CREATE TABLE groups (
    name         TEXT PRIMARY KEY,
    description  TEXT,
    precedence   INTEGER
) STRICT;

CREATE TABLE user_groups (
    sub         TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    group_name  TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
    PRIMARY KEY (sub, group_name)
) STRICT;

-- The pending sign-up confirmation code of an unconfirmed user.
CREATE TABLE verification_codes (
    sub         TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    expires_at  INTEGER NOT NULL,
    attempts    INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Used codes are kept (used_at set) until well past expiry, to detect replays.
CREATE TABLE auth_codes (
    code_hash       TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    sub             TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT NOT NULL,
    auth_time       INTEGER NOT NULL,
    event_id        TEXT NOT NULL,
    expires_at      INTEGER NOT NULL,
    used_at         INTEGER
) STRICT;

CREATE TABLE refresh_tokens (
    token_hash      TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    sub             TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    auth_time       INTEGER NOT NULL,
    origin_jti      TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    auth_code_hash  TEXT NOT NULL,
    expires_at      INTEGER NOT NULL,
    revoked_at      INTEGER
) STRICT;
CREATE INDEX refresh_tokens_by_auth_code ON refresh_tokens (auth_code_hash);

-- Hosted-UI single sign-on sessions (the `cognito` cookie).
CREATE TABLE sso_sessions (
    id_hash     TEXT PRIMARY KEY,
    sub         TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    auth_time   INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    pkcs8       BLOB NOT NULL,
    created_at  INTEGER NOT NULL
) STRICT;

CREATE TABLE outbox (
    id         INTEGER PRIMARY KEY AUTOINCREMENT,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    sent_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX outbox_by_recipient ON outbox (recipient);
