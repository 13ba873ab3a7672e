-- Many user pools in one database (see sqlite/0010_user_pools.sql): each owns
-- its users, groups and signing keys. The pool of the releases before is the
-- pool with the id '', which the declared pool takes over when it first opens the database.
CREATE TABLE user_pools (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);
INSERT INTO user_pools (id, name, settings, created_at, updated_at) VALUES ('', '', '{}', 0, 0);

ALTER TABLE users ADD COLUMN pool_id TEXT NOT NULL DEFAULT ''
    REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE users ALTER COLUMN pool_id DROP DEFAULT;
ALTER TABLE users ADD COLUMN username TEXT;
UPDATE users SET username = sub;
ALTER TABLE users ALTER COLUMN username SET NOT NULL;
ALTER TABLE users ALTER COLUMN email DROP NOT NULL;
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_by_username ON users (pool_id, username);
CREATE UNIQUE INDEX users_by_email ON users (pool_id, email);

ALTER TABLE user_groups DROP CONSTRAINT user_groups_group_name_fkey;
ALTER TABLE groups ADD COLUMN pool_id TEXT NOT NULL DEFAULT ''
    REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE groups ALTER COLUMN pool_id DROP DEFAULT;
ALTER TABLE groups DROP CONSTRAINT groups_pkey;
ALTER TABLE groups ADD PRIMARY KEY (pool_id, name);
ALTER TABLE user_groups ADD COLUMN pool_id TEXT NOT NULL DEFAULT '';
ALTER TABLE user_groups ALTER COLUMN pool_id DROP DEFAULT;
ALTER TABLE user_groups ADD FOREIGN KEY (pool_id, group_name)
    REFERENCES groups (pool_id, name) ON DELETE CASCADE ON UPDATE CASCADE;
DROP INDEX user_groups_by_group;
CREATE INDEX user_groups_by_group ON user_groups (pool_id, group_name, sub);

ALTER TABLE signing_keys ADD COLUMN pool_id TEXT NOT NULL DEFAULT ''
    REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE;
ALTER TABLE signing_keys ALTER COLUMN pool_id DROP DEFAULT;
CREATE INDEX signing_keys_by_pool ON signing_keys (pool_id);
