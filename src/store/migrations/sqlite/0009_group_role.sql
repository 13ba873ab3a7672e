-- A group's IAM role (Cognito's RoleArn): kept and returned, and named in its
-- members' ID tokens (`cognito:roles`, `cognito:preferred_role`).
ALTER TABLE groups ADD COLUMN role_arn TEXT;
