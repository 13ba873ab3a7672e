-- What Cognito's admin API manages: users can be disabled, and users created by
-- an administrator must choose a new password at first sign-in
-- (FORCE_CHANGE_PASSWORD). Groups carry their own dates.
ALTER TABLE users ADD COLUMN enabled INTEGER NOT NULL DEFAULT 1;
ALTER TABLE users ADD COLUMN force_password_change INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN created_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN updated_at INTEGER NOT NULL DEFAULT 0;
CREATE INDEX user_groups_by_group ON user_groups (group_name, sub);
