-- App clients as resources of their pool (CreateUserPoolClient and the rest);
-- the clients `userpool.toml` declares are kept here too, rewritten at each
-- start. `settings` is the client's Cognito settings as JSON; `secret` its
-- client secret, which DescribeUserPoolClient returns, so it is kept as it is.
CREATE TABLE app_clients (
    client_id   TEXT PRIMARY KEY,
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    name        TEXT NOT NULL,
    secret      TEXT,
    settings    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
CREATE INDEX app_clients_by_pool ON app_clients (pool_id, client_id);
