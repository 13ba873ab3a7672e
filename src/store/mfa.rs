//! The `user_mfa` table: each account's second factors (see `mfa`).

use sqlx::Row;

use super::Store;
use crate::auth_factors::MfaFactor;
use crate::error::Error;

/// An account's second factors as the store keeps them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct UserMfa {
    /// The proven authenticator-app secret, as stored (sealed or base32).
    pub(crate) totp_secret: Option<String>,
    pub(crate) totp_device_name: Option<String>,
    /// The last 30-second step a code was accepted for.
    pub(crate) totp_last_step: i64,
    /// A secret associated and not yet proven, as stored.
    pub(crate) totp_pending: Option<String>,
    pub(crate) totp_enabled: bool,
    pub(crate) email_enabled: bool,
    pub(crate) sms_enabled: bool,
    pub(crate) preferred: Option<MfaFactor>,
}

impl UserMfa {
    /// The factors on: an app once its secret is proven, email codes, text messages.
    pub(crate) fn enabled(&self) -> Vec<MfaFactor> {
        MfaFactor::ALL
            .into_iter()
            .filter(|f| match f {
                MfaFactor::SoftwareToken => self.totp_enabled && self.totp_secret.is_some(),
                MfaFactor::Email => self.email_enabled,
                MfaFactor::Sms => self.sms_enabled,
            })
            .collect()
    }
}

impl Store {
    /// The account's second factors; all off for one that never set any.
    pub(crate) async fn user_mfa(&self, sub: &str) -> Result<UserMfa, Error> {
        let row = sqlx::query(
            "SELECT totp_secret, totp_device_name, totp_last_step, totp_pending, totp_enabled,
                    email_enabled, sms_enabled, preferred
             FROM user_mfa WHERE sub = $1",
        )
        .bind(sub)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else {
            return Ok(UserMfa::default());
        };
        let preferred: Option<String> = row.try_get("preferred")?;
        Ok(UserMfa {
            totp_secret: row.try_get("totp_secret")?,
            totp_device_name: row.try_get("totp_device_name")?,
            totp_last_step: row.try_get("totp_last_step")?,
            totp_pending: row.try_get("totp_pending")?,
            totp_enabled: super::flag(&row, "totp_enabled")?,
            email_enabled: super::flag(&row, "email_enabled")?,
            sms_enabled: super::flag(&row, "sms_enabled")?,
            preferred: preferred.as_deref().and_then(MfaFactor::parse),
        })
    }

    /// Keeps a new secret for the account to prove (AssociateSoftwareToken),
    /// replacing any other not proven yet; the proven one stays until then.
    pub(crate) async fn put_totp_pending(&self, sub: &str, secret: &str) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO user_mfa (sub, totp_pending) VALUES ($1, $2)
             ON CONFLICT (sub) DO UPDATE SET totp_pending = excluded.totp_pending",
        )
        .bind(sub)
        .bind(secret)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// The pending secret `pending` (as stored) becomes the account's, proven
    /// by a code of `step`, if it is still the pending one; `enable` turns
    /// TOTP on as well (and preferred, if nothing else is). False if another
    /// secret was associated meanwhile.
    pub(crate) async fn prove_totp(
        &self,
        sub: &str,
        pending: &str,
        device_name: Option<&str>,
        step: i64,
        enable: bool,
    ) -> Result<bool, Error> {
        let proven = sqlx::query(
            "UPDATE user_mfa SET totp_secret = totp_pending, totp_pending = NULL,
                    totp_device_name = $1, totp_last_step = $2,
                    totp_enabled = CASE WHEN $3 THEN TRUE ELSE totp_enabled END,
                    preferred = CASE WHEN $3 AND preferred IS NULL THEN 'SOFTWARE_TOKEN_MFA'
                                     ELSE preferred END
             WHERE sub = $4 AND totp_pending = $5",
        )
        .bind(device_name)
        .bind(step)
        .bind(enable)
        .bind(sub)
        .bind(pending)
        .execute(&self.db)
        .await?;
        Ok(proven.rows_affected() == 1)
    }

    /// Records a code of `step` as used; false if a code of that step or a
    /// later one was used already (the code is then refused: no replay).
    pub(crate) async fn use_totp_step(&self, sub: &str, step: i64) -> Result<bool, Error> {
        let used = sqlx::query(
            "UPDATE user_mfa SET totp_last_step = $1 WHERE sub = $2 AND totp_last_step < $1",
        )
        .bind(step)
        .bind(sub)
        .execute(&self.db)
        .await?;
        Ok(used.rows_affected() == 1)
    }

    /// Sets which second factors are on (`enabled`) and which is preferred.
    pub(crate) async fn set_mfa_preference(
        &self,
        sub: &str,
        enabled: &[MfaFactor],
        preferred: Option<MfaFactor>,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO user_mfa (sub, totp_enabled, email_enabled, sms_enabled, preferred)
             VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (sub) DO UPDATE SET totp_enabled = excluded.totp_enabled,
                 email_enabled = excluded.email_enabled, sms_enabled = excluded.sms_enabled,
                 preferred = excluded.preferred",
        )
        .bind(sub)
        .bind(enabled.contains(&MfaFactor::SoftwareToken))
        .bind(enabled.contains(&MfaFactor::Email))
        .bind(enabled.contains(&MfaFactor::Sms))
        .bind(preferred.map(MfaFactor::name))
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// Turns email codes on for the account (preferred, if nothing else is).
    pub(crate) async fn enable_email_mfa(&self, sub: &str) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO user_mfa (sub, email_enabled, preferred) VALUES ($1, TRUE, 'EMAIL_OTP')
             ON CONFLICT (sub) DO UPDATE SET email_enabled = TRUE,
                 preferred = COALESCE(user_mfa.preferred, 'EMAIL_OTP')",
        )
        .bind(sub)
        .execute(&self.db)
        .await?;
        Ok(())
    }
}
