-- AdminResetUserPassword's RESET_REQUIRED: the password no longer signs in (PasswordResetRequiredException)
-- until the user sets a new one with the code they were sent, or an administrator sets one.
ALTER TABLE users ADD COLUMN password_reset_required INTEGER NOT NULL DEFAULT 0;
