-- A pool's resource servers (CreateResourceServer): APIs whose custom scopes
-- (`<identifier>/<scope>`) its app clients may be granted. `scopes` is
-- Cognito's list of {ScopeName, ScopeDescription} as JSON. The servers
-- `userpool.toml` declares are kept here too, rewritten at each start.
CREATE TABLE resource_servers (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    identifier  TEXT NOT NULL,
    name        TEXT NOT NULL,
    scopes      TEXT NOT NULL,
    PRIMARY KEY (pool_id, identifier)
) STRICT;
