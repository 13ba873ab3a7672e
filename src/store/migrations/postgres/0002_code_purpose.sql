-- A pending code is either a sign-up confirmation (unconfirmed users) or a
-- password reset (confirmed users); each is checked only for its own purpose.
-- How many codes were mailed since window_start bounds how often new codes
-- (and with them new guesses) can be had.
ALTER TABLE verification_codes ADD COLUMN purpose TEXT NOT NULL DEFAULT 'sign_up'
    CHECK (purpose IN ('sign_up', 'password_reset'));
ALTER TABLE verification_codes ADD COLUMN window_start BIGINT NOT NULL DEFAULT 0;
ALTER TABLE verification_codes ADD COLUMN issued_in_window BIGINT NOT NULL DEFAULT 1;
