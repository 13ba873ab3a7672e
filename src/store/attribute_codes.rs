//! The `attribute_codes` table: codes that prove a user's email address or
//! phone number, or the new address they are changing to (see `verification`).

use super::{Issuance, Store, VerificationCode};
use crate::error::Error;

/// A pending code, and the value it proves.
#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AttributeCode {
    pub(crate) value: String,
    #[sqlx(flatten)]
    pub(crate) code: VerificationCode,
}

/// A code about to be stored for `attribute` (`email` or `phone_number`).
pub(crate) struct NewAttributeCode<'a> {
    pub(crate) attribute: &'a str,
    pub(crate) value: &'a str,
    pub(crate) code_hash: &'a str,
    pub(crate) expires_at: i64,
    pub(crate) issuance: Issuance,
}

/// What settles an attribute: its `*_verified` flag, and for a change of
/// address the new one (a code proved it, or an administrator gave it).
pub(crate) struct Proof<'a> {
    pub(crate) attribute: &'a str,
    /// `email_verified` or `phone_number_verified`.
    pub(crate) flag: &'a str,
    pub(crate) verified: bool,
    /// A change of address: the new one, and its sign-in key where the
    /// address is a sign-in name.
    pub(crate) new_email: Option<(&'a str, Option<&'a str>)>,
}

impl Store {
    pub(crate) async fn attribute_code(
        &self,
        sub: &str,
        attribute: &str,
    ) -> Result<Option<AttributeCode>, Error> {
        Ok(sqlx::query_as(
            "SELECT value, code_hash, expires_at, attempts FROM attribute_codes
             WHERE sub = $1 AND attribute = $2",
        )
        .bind(sub)
        .bind(attribute)
        .fetch_optional(&self.db)
        .await?)
    }

    pub(crate) async fn attribute_code_issuance(
        &self,
        sub: &str,
        attribute: &str,
    ) -> Result<Option<Issuance>, Error> {
        Ok(sqlx::query_as(
            "SELECT window_start, issued_in_window FROM attribute_codes
             WHERE sub = $1 AND attribute = $2",
        )
        .bind(sub)
        .bind(attribute)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Replaces the user's pending code for the attribute; a new code starts with no failed attempts.
    pub(crate) async fn put_attribute_code(
        &self,
        sub: &str,
        code: &NewAttributeCode<'_>,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO attribute_codes
                (sub, attribute, value, code_hash, expires_at, attempts, window_start, issued_in_window)
             VALUES ($1, $2, $3, $4, $5, 0, $6, $7)
             ON CONFLICT (sub, attribute) DO UPDATE SET value = excluded.value,
                code_hash = excluded.code_hash, expires_at = excluded.expires_at, attempts = 0,
                window_start = excluded.window_start, issued_in_window = excluded.issued_in_window",
        )
        .bind(sub)
        .bind(code.attribute)
        .bind(code.value)
        .bind(code.code_hash)
        .bind(code.expires_at)
        .bind(code.issuance.window_start)
        .bind(code.issuance.issued_in_window)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    pub(crate) async fn count_attribute_code_attempt(
        &self,
        sub: &str,
        attribute: &str,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE attribute_codes SET attempts = attempts + 1 WHERE sub = $1 AND attribute = $2",
        )
        .bind(sub)
        .bind(attribute)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// Sets the attribute's verified flag, moving the user to a new address
    /// first where the proof names one, and drops the attribute's pending
    /// code, together; false, changing nothing, when another user of the pool
    /// signs in with the new address by now.
    pub(crate) async fn settle_attribute(
        &self,
        sub: &str,
        proof: &Proof<'_>,
        now: i64,
    ) -> Result<bool, Error> {
        let mut tx = self.db.begin().await?;
        if let Some((email, key)) = proof.new_email {
            let moved = sqlx::query(
                "UPDATE users SET email = $1, email_key = $2, updated_at = $3 WHERE sub = $4",
            )
            .bind(email)
            .bind(key)
            .bind(now)
            .bind(sub)
            .execute(&mut *tx)
            .await;
            if !super::inserted(moved)? {
                return Ok(false);
            }
        }
        let flag = [(proof.flag.to_owned(), proof.verified.to_string())];
        super::directory::put_attributes(&mut tx, sub, &flag).await?;
        sqlx::query("DELETE FROM attribute_codes WHERE sub = $1 AND attribute = $2")
            .bind(sub)
            .bind(proof.attribute)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }
}
