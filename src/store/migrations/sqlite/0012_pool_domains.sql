-- A pool's hosted-UI domain (CreateUserPoolDomain): a prefix, unique on the
-- server, under which the hosted UI and the OAuth endpoints answer for the pool.
CREATE TABLE pool_domains (
    domain      TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL UNIQUE REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    created_at  INTEGER NOT NULL
) STRICT;
