-- Multi-factor sign-in. Per account: its authenticator-app secret (TOTP, base32; sealed with the
-- key-encryption key when one is set) once a first code proved it, the device name it was given,
-- the last 30-second step a code was accepted for (no code is good twice), a secret associated but
-- not yet proved, whether TOTP, email codes and text messages are on as second factors, and which one is
-- preferred (SetUserMFAPreference).
CREATE TABLE user_mfa (
    sub               TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
    totp_secret       TEXT,
    totp_device_name  TEXT,
    totp_last_step    INTEGER NOT NULL DEFAULT 0,
    totp_pending      TEXT,
    totp_enabled      INTEGER NOT NULL DEFAULT 0,
    email_enabled     INTEGER NOT NULL DEFAULT 0,
    sms_enabled       INTEGER NOT NULL DEFAULT 0,
    preferred         TEXT CHECK (preferred IN ('SOFTWARE_TOKEN_MFA', 'EMAIL_OTP', 'SMS_MFA'))
) STRICT;

-- Sign-in sessions now also wait for second factors. They live three minutes: rebuilding the
-- table (SQLite cannot change a CHECK) only ends sign-ins half done at the upgrade.
DROP TABLE auth_sessions;
CREATE TABLE auth_sessions (
    session_hash TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    client_id    TEXT NOT NULL,
    failure_key  TEXT NOT NULL,
    sub          TEXT REFERENCES users (sub) ON DELETE CASCADE,
    step         TEXT NOT NULL CHECK (step IN ('select_challenge', 'email_otp', 'web_authn', 'signed_up',
                                               'software_token_mfa', 'select_mfa_type', 'mfa_setup',
                                               'mfa_set_up', 'email_mfa_setup', 'sms_mfa')),
    code_hash    TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    state        TEXT,
    expires_at   INTEGER NOT NULL
) STRICT;
