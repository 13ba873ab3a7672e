-- Signing keys take over at `active_from` (a rotated-in key is published in the
-- JWKS before it signs anything); the key before it stays published until the
-- tokens it signed have expired.
ALTER TABLE signing_keys ADD COLUMN active_from INTEGER NOT NULL DEFAULT 0;
