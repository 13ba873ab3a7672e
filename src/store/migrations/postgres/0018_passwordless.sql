-- Accounts signed up without a password (SignUp with no Password, where the pool's SignInPolicy
-- allows a passwordless first factor): their password_hash and srp_verifier are of a random secret
-- nobody knows, and they are not offered the password. Setting a password ends it.
ALTER TABLE users ADD COLUMN passwordless BOOLEAN NOT NULL DEFAULT FALSE;

-- A choice-based sign-in (USER_AUTH) between two steps, or a sign-up just confirmed that may
-- sign in once: the digest of its Session, the client it is for, the key its name counts failed
-- sign-ins under (of the account, or of a name without one, which no answer can satisfy), the
-- account (NULL for such a name), the step it waits for, for a mailed one-time code the code's
-- digest and the wrong guesses so far, and for a passkey the WebAuthn ceremony's state (JSON).
-- Used once, within three minutes.
CREATE TABLE auth_sessions (
    session_hash TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    client_id    TEXT NOT NULL,
    failure_key  TEXT NOT NULL,
    sub          TEXT REFERENCES users (sub) ON DELETE CASCADE,
    step         TEXT NOT NULL CHECK (step IN ('select_challenge', 'email_otp', 'web_authn', 'signed_up')),
    code_hash    TEXT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    state        TEXT,
    expires_at   BIGINT NOT NULL
);

-- The one-time sign-in codes (EMAIL_OTP) mailed per account, or per name without one, since
-- window_start: rationed like the other codes.
CREATE TABLE sign_in_code_issuance (
    failure_key       TEXT PRIMARY KEY,
    window_start      BIGINT NOT NULL,
    issued_in_window  BIGINT NOT NULL
);

-- Passkeys (WebAuthn credentials): the credential id (base64url; one account's, whatever the pool),
-- its account, webauthn-rs's record of it (JSON: the public key, the sign counter), and what
-- ListWebAuthnCredentials shows.
CREATE TABLE webauthn_credentials (
    credential_id     TEXT PRIMARY KEY,
    pool_id           TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    sub               TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    passkey           TEXT NOT NULL,
    friendly_name     TEXT,
    relying_party_id  TEXT NOT NULL,
    attachment        TEXT,
    transports        TEXT NOT NULL,
    created_at        BIGINT NOT NULL
);
CREATE INDEX webauthn_credentials_by_sub ON webauthn_credentials (sub, created_at);

-- A passkey registration under way (StartWebAuthnRegistration, then CompleteWebAuthnRegistration):
-- one per account, the ceremony's state (JSON), valid a few minutes.
CREATE TABLE webauthn_registrations (
    sub         TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
    state       TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
