-- A user's sign-in names besides the username, each unique in its pool: the
-- email address where it is the username or an alias (`email_key`), the phone
-- number likewise (`phone_key`), and the preferred_username alias
-- (`preferred_key`); NULL where the pool does not sign in with it. An email
-- that is only an attribute may be shared, as in Cognito. Every pool before
-- this migration signed in by email, or kept its addresses unique.
ALTER TABLE users ADD COLUMN email_key TEXT;
ALTER TABLE users ADD COLUMN phone_key TEXT;
ALTER TABLE users ADD COLUMN preferred_key TEXT;
UPDATE users SET email_key = email;
DROP INDEX users_by_email;
CREATE UNIQUE INDEX users_by_email ON users (pool_id, email_key);
CREATE UNIQUE INDEX users_by_phone ON users (pool_id, phone_key);
CREATE UNIQUE INDEX users_by_preferred_name ON users (pool_id, preferred_key);
