-- The hosted UI's branding (SetUICustomization): per pool a default (`client_id` 'ALL') and
-- per app client its own, each a checked stylesheet and a logo (PNG or JPEG, `logo_type` its
-- media type). `version` counts the times it was set. `userpool.toml`'s `[branding]` is kept
-- here too, as the declared pool's default, rewritten at each start.
CREATE TABLE ui_customizations (
    pool_id     TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    client_id   TEXT NOT NULL,
    css         TEXT,
    logo        BLOB,
    logo_type   TEXT CHECK (logo_type IN ('image/png', 'image/jpeg')),
    version     INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (pool_id, client_id)
) STRICT;
