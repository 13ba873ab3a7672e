-- The PostgreSQL twin of sqlite/0001_initial.sql: the same tables, columns and
-- versions, in PostgreSQL's types. All timestamps are Unix seconds. Bearer
-- secrets (codes, tokens, session ids) are stored only as base64url SHA-256 digests.

CREATE TABLE users (
    sub            TEXT PRIMARY KEY,          -- UUID v4, also the Cognito username
    email          TEXT NOT NULL UNIQUE,      -- lower-cased; the sign-in name
    password_hash  TEXT NOT NULL,             -- Argon2id PHC string
    confirmed      BOOLEAN NOT NULL DEFAULT FALSE,
    failed_logins  BIGINT NOT NULL DEFAULT 0,
    locked_until   BIGINT NOT NULL DEFAULT 0,
    created_at     BIGINT NOT NULL,
    updated_at     BIGINT NOT NULL
);

-- Further standard or custom attributes (name, custom:*); email lives in users.
CREATE TABLE user_attributes (
    sub    TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    name   TEXT NOT NULL,
    value  TEXT NOT NULL,
    PRIMARY KEY (sub, name)
);

CREATE TABLE groups (
    name         TEXT PRIMARY KEY,
    description  TEXT,
    precedence   BIGINT
);

CREATE TABLE user_groups (
    sub         TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    group_name  TEXT NOT NULL REFERENCES groups (name) ON DELETE CASCADE,
    PRIMARY KEY (sub, group_name)
);

-- The pending sign-up confirmation code of an unconfirmed user.
CREATE TABLE verification_codes (
    sub         TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    expires_at  BIGINT NOT NULL,
    attempts    BIGINT NOT NULL DEFAULT 0
);

-- Used codes are kept (used_at set) until well past expiry, to detect replays.
CREATE TABLE auth_codes (
    code_hash       TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    redirect_uri    TEXT NOT NULL,
    sub             TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    nonce           TEXT,
    code_challenge  TEXT NOT NULL,
    auth_time       BIGINT NOT NULL,
    event_id        TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    used_at         BIGINT
);

CREATE TABLE refresh_tokens (
    token_hash      TEXT PRIMARY KEY,
    client_id       TEXT NOT NULL,
    sub             TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    scope           TEXT NOT NULL,
    auth_time       BIGINT NOT NULL,
    origin_jti      TEXT NOT NULL,
    event_id        TEXT NOT NULL,
    auth_code_hash  TEXT NOT NULL,
    expires_at      BIGINT NOT NULL,
    revoked_at      BIGINT
);
CREATE INDEX refresh_tokens_by_auth_code ON refresh_tokens (auth_code_hash);

-- Hosted-UI single sign-on sessions (the `cognito` cookie).
CREATE TABLE sso_sessions (
    id_hash     TEXT PRIMARY KEY,
    sub         TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    auth_time   BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL
);

CREATE TABLE signing_keys (
    kid         TEXT PRIMARY KEY,
    pkcs8       BYTEA NOT NULL,
    created_at  BIGINT NOT NULL
);

CREATE TABLE outbox (
    id         BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    body       TEXT NOT NULL,
    sent_at    BIGINT NOT NULL
);
CREATE INDEX outbox_by_recipient ON outbox (recipient);
