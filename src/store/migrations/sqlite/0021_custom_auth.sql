-- Sign-in sessions also wait for the answer to a custom challenge (CUSTOM_AUTH). They live
-- three minutes: rebuilding the table (SQLite cannot change a CHECK) only ends sign-ins half done
-- at the upgrade.
DROP TABLE auth_sessions;
CREATE TABLE auth_sessions (
    session_hash TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    client_id    TEXT NOT NULL,
    failure_key  TEXT NOT NULL,
    sub          TEXT REFERENCES users (sub) ON DELETE CASCADE,
    step         TEXT NOT NULL CHECK (step IN ('select_challenge', 'email_otp', 'web_authn', 'signed_up',
                                               'software_token_mfa', 'select_mfa_type', 'mfa_setup',
                                               'mfa_set_up', 'email_mfa_setup', 'sms_mfa',
                                               'custom_challenge')),
    code_hash    TEXT,
    attempts     INTEGER NOT NULL DEFAULT 0,
    state        TEXT,
    expires_at   INTEGER NOT NULL
) STRICT;
