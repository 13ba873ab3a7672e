-- A code proving an email address or phone number after sign-up (GetUserAttributeVerificationCode,
-- VerifyUserAttribute): the attribute, the value it proves (for a change of address through
-- UpdateUserAttributes, the new address, which becomes the user's once proved), rationed and
-- limited in guesses like the other codes. One per user and attribute.
CREATE TABLE attribute_codes (
    sub               TEXT NOT NULL REFERENCES users (sub) ON DELETE CASCADE,
    attribute         TEXT NOT NULL CHECK (attribute IN ('email', 'phone_number')),
    value             TEXT NOT NULL,
    code_hash         TEXT NOT NULL,
    expires_at        BIGINT NOT NULL,
    attempts          BIGINT NOT NULL DEFAULT 0,
    window_start      BIGINT NOT NULL,
    issued_in_window  BIGINT NOT NULL,
    PRIMARY KEY (sub, attribute)
);
