-- Clients with refresh-token rotation retire a refresh token when it is used;
-- a retired token presented again means it was stolen, and ends its sign-in.
ALTER TABLE refresh_tokens ADD COLUMN rotated_at BIGINT;
