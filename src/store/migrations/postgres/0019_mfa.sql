-- Multi-factor sign-in. Per account: its authenticator-app secret (TOTP, base32; sealed with the
-- key-encryption key when one is set) once a first code proved it, the device name it was given,
-- the last 30-second step a code was accepted for (no code is good twice), a secret associated but
-- not yet proved, whether TOTP, email codes and text messages are on as second factors, and which one is
-- preferred (SetUserMFAPreference).
CREATE TABLE user_mfa (
    sub               TEXT PRIMARY KEY REFERENCES users (sub) ON DELETE CASCADE,
    totp_secret       TEXT,
    totp_device_name  TEXT,
    totp_last_step    BIGINT NOT NULL DEFAULT 0,
    totp_pending      TEXT,
    totp_enabled      BOOLEAN NOT NULL DEFAULT FALSE,
    email_enabled     BOOLEAN NOT NULL DEFAULT FALSE,
    sms_enabled       BOOLEAN NOT NULL DEFAULT FALSE,
    preferred         TEXT CHECK (preferred IN ('SOFTWARE_TOKEN_MFA', 'EMAIL_OTP', 'SMS_MFA'))
);

-- Sign-in sessions now also wait for second factors.
ALTER TABLE auth_sessions DROP CONSTRAINT auth_sessions_step_check;
ALTER TABLE auth_sessions ADD CONSTRAINT auth_sessions_step_check
    CHECK (step IN ('select_challenge', 'email_otp', 'web_authn', 'signed_up', 'software_token_mfa',
                    'select_mfa_type', 'mfa_setup', 'mfa_set_up', 'email_mfa_setup', 'sms_mfa'));
