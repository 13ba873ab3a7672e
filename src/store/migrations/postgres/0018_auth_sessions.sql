-- A choice-based sign-in (USER_AUTH) between two steps, or a sign-up just confirmed that may
-- sign in once: the digest of its Session, the client it is for, the key its name counts failed
-- sign-ins under (of the account, or of a name without one, which no answer can satisfy), the
-- account (NULL for such a name), the step it waits for, and for a mailed one-time code the
-- code's digest and the wrong guesses so far. Used once, within three minutes.
CREATE TABLE auth_sessions (
    session_hash TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    client_id    TEXT NOT NULL,
    failure_key  TEXT NOT NULL,
    sub          TEXT REFERENCES users (sub) ON DELETE CASCADE,
    step         TEXT NOT NULL CHECK (step IN ('select_challenge', 'email_otp', 'signed_up')),
    code_hash    TEXT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    expires_at   BIGINT NOT NULL
);

-- The one-time sign-in codes (EMAIL_OTP) mailed per account, or per name without one, since
-- window_start: rationed like the other codes.
CREATE TABLE sign_in_code_issuance (
    failure_key       TEXT PRIMARY KEY,
    window_start      BIGINT NOT NULL,
    issued_in_window  BIGINT NOT NULL
);
