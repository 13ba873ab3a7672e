-- SRP sign-in (USER_SRP_AUTH). Each password's verifier, "<pool name>:<salt>:<v>" in hex, is
-- made when the password is set; passwords set before this migration have none until their
-- user next signs in with the password itself.
ALTER TABLE users ADD COLUMN srp_verifier TEXT;

-- A PASSWORD_VERIFIER challenge under way: the digest of its SECRET_BLOCK, the account it is
-- for (NULL: a name without one, refused as a wrong password would be), the key that counts
-- its failed attempts, and the session key the client must prove it has too. Used once.
CREATE TABLE srp_challenges (
    block_hash  TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    sub         TEXT,
    failure_key TEXT NOT NULL,
    session_key TEXT NOT NULL,
    expires_at  BIGINT NOT NULL
);
