-- What Cognito's admin API manages: users can be disabled, and users created by
-- an administrator must choose a new password at first sign-in
-- (FORCE_CHANGE_PASSWORD). Groups carry their own dates.
ALTER TABLE users ADD COLUMN enabled BOOLEAN NOT NULL DEFAULT TRUE;
ALTER TABLE users ADD COLUMN force_password_change BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE groups ADD COLUMN created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE groups ADD COLUMN updated_at BIGINT NOT NULL DEFAULT 0;
CREATE INDEX user_groups_by_group ON user_groups (group_name, sub);
