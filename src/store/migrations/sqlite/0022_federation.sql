-- A pool's upstream identity providers (CreateIdentityProvider): name, type (OIDC, Google),
-- Cognito's ProviderDetails, AttributeMapping and IdpIdentifiers as JSON.
CREATE TABLE identity_providers (
    pool_id            TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    name               TEXT NOT NULL,
    provider_type      TEXT NOT NULL,
    details            TEXT NOT NULL,
    attribute_mapping  TEXT NOT NULL,
    identifiers        TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    updated_at         INTEGER NOT NULL,
    PRIMARY KEY (pool_id, name)
) STRICT;

-- A sign-in sent to an upstream provider, waiting for it to answer at /oauth2/idpresponse: the
-- digest of its state, the authorization request to answer afterwards (JSON), the PKCE verifier
-- and nonce of the request to the upstream. Used once, within ten minutes.
CREATE TABLE federation_requests (
    state_hash     TEXT PRIMARY KEY,
    pool_id        TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    provider       TEXT NOT NULL,
    params         TEXT NOT NULL,
    pkce_verifier  TEXT NOT NULL,
    nonce          TEXT NOT NULL,
    expires_at     INTEGER NOT NULL
) STRICT;

-- Who an upstream provider's user (its `sub`) is in the pool: the user created at their first
-- sign-in, or a local user it was linked to (AdminLinkProviderForUser). Kept when the provider is
-- deleted, as Cognito keeps its users.
CREATE TABLE federated_identities (
    pool_id       TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    provider      TEXT NOT NULL,
    provider_type TEXT NOT NULL,
    provider_sub  TEXT NOT NULL,
    sub           TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    created_at    INTEGER NOT NULL,
    PRIMARY KEY (pool_id, provider, provider_sub)
) STRICT;
CREATE INDEX federated_identities_by_sub ON federated_identities (sub);

-- Users an upstream provider signed in (EXTERNAL_PROVIDER): they have no password of their own.
ALTER TABLE users ADD COLUMN external_provider INTEGER NOT NULL DEFAULT 0;
