-- Failure counters that every pool process on the database shares.
--
-- Failed sign-ins move out of `users` into a table of their own, keyed by a
-- digest: of the account's sub, or of the normalized username when no account
-- has it. An unknown name then locks out at the same count, for as long, as an
-- account does, and both are forgotten alike a day after their last failure.
-- (Counts in progress at the upgrade start again from zero.)
CREATE TABLE login_failures (
    name_hash     TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    locked_until  INTEGER NOT NULL DEFAULT 0,
    last_failure  INTEGER NOT NULL
) STRICT;
CREATE INDEX login_failures_by_age ON login_failures (last_failure);
ALTER TABLE users DROP COLUMN failed_logins;
ALTER TABLE users DROP COLUMN locked_until;

-- A password reset asked for an address without a confirmed account gets a
-- decoy code, never mailed, so that guesses at it are answered as for a real
-- one. Keyed by a digest of the normalized address; pruned once expired.
CREATE TABLE decoy_codes (
    name_hash         TEXT PRIMARY KEY,
    code_hash         TEXT NOT NULL,
    expires_at        INTEGER NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    window_start      INTEGER NOT NULL,
    issued_in_window  INTEGER NOT NULL
) STRICT;
CREATE INDEX decoy_codes_by_expiry ON decoy_codes (expires_at);

-- Wrong passwords and codes per client address (IPv4, or an IPv6 /64), in the
-- current window: the per-address throttle. Pruned once the window has passed.
CREATE TABLE address_failures (
    address       TEXT PRIMARY KEY,
    window_start  INTEGER NOT NULL,
    failures      INTEGER NOT NULL
) STRICT;
CREATE INDEX address_failures_by_window ON address_failures (window_start);
