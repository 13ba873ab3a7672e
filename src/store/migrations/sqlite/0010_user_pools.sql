-- no-transaction
-- Rebuilding `users`, `groups` and their children needs foreign keys off (a DROP
-- TABLE would otherwise cascade), which SQLite allows only outside a
-- transaction; the rebuild itself is one transaction, so it applies whole or not at all.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;

-- Many user pools in one database, as in Cognito: each owns its users, groups
-- and signing keys (deleting a pool deletes them). `settings` is the pool's
-- Cognito settings as JSON (what DescribeUserPool returns beside id, name and dates).
CREATE TABLE user_pools (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    settings    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
) STRICT;
-- The one pool of the releases before: the pool the configuration declares
-- takes it over, with its id, when it first opens this database.
INSERT INTO user_pools (id, name, settings, created_at, updated_at) VALUES ('', '', '{}', 0, 0);

-- `username` is Cognito's username: the sub where email is the username (every
-- user before this release), a name of the user's choosing in pools with plain
-- usernames. Unique per pool, as is the email.
CREATE TABLE users_new (
    sub                    TEXT PRIMARY KEY,
    pool_id                TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    username               TEXT NOT NULL,
    email                  TEXT,
    password_hash          TEXT NOT NULL,
    confirmed              INTEGER NOT NULL DEFAULT 0,
    enabled                INTEGER NOT NULL DEFAULT 1,
    force_password_change  INTEGER NOT NULL DEFAULT 0,
    created_at             INTEGER NOT NULL,
    updated_at             INTEGER NOT NULL
) STRICT;
INSERT INTO users_new (sub, pool_id, username, email, password_hash, confirmed, enabled,
                       force_password_change, created_at, updated_at)
    SELECT sub, '', sub, email, password_hash, confirmed, enabled,
           force_password_change, created_at, updated_at FROM users;
DROP TABLE users;
ALTER TABLE users_new RENAME TO users;
CREATE UNIQUE INDEX users_by_username ON users (pool_id, username);
CREATE UNIQUE INDEX users_by_email ON users (pool_id, email);

CREATE TABLE groups_new (
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    name         TEXT NOT NULL,
    description  TEXT,
    precedence   INTEGER,
    role_arn     TEXT,
    created_at   INTEGER NOT NULL DEFAULT 0,
    updated_at   INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, name)
) STRICT;
INSERT INTO groups_new (pool_id, name, description, precedence, role_arn, created_at, updated_at)
    SELECT '', name, description, precedence, role_arn, created_at, updated_at FROM groups;

CREATE TABLE user_groups_new (
    sub         TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    pool_id     TEXT NOT NULL,
    group_name  TEXT NOT NULL,
    PRIMARY KEY (sub, group_name),
    FOREIGN KEY (pool_id, group_name) REFERENCES groups (pool_id, name)
        ON DELETE CASCADE ON UPDATE CASCADE
) STRICT;
INSERT INTO user_groups_new (sub, pool_id, group_name)
    SELECT sub, '', group_name FROM user_groups;
DROP TABLE user_groups;
DROP TABLE groups;
ALTER TABLE groups_new RENAME TO groups;
ALTER TABLE user_groups_new RENAME TO user_groups;
CREATE INDEX user_groups_by_group ON user_groups (pool_id, group_name, sub);

CREATE TABLE signing_keys_new (
    kid          TEXT PRIMARY KEY,
    pool_id      TEXT NOT NULL REFERENCES user_pools (id) ON DELETE CASCADE ON UPDATE CASCADE,
    pkcs8        BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    active_from  INTEGER NOT NULL DEFAULT 0
) STRICT;
INSERT INTO signing_keys_new (kid, pool_id, pkcs8, created_at, active_from)
    SELECT kid, '', pkcs8, created_at, active_from FROM signing_keys;
DROP TABLE signing_keys;
ALTER TABLE signing_keys_new RENAME TO signing_keys;
CREATE INDEX signing_keys_by_pool ON signing_keys (pool_id);

COMMIT;
PRAGMA foreign_keys = ON;
