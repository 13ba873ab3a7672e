//! The `auth_sessions` table: the `Session` of a choice-based sign-in between
//! two steps, or of a sign-up just confirmed, each taken once (see `user_auth`);
//! and `sign_in_code_issuance`, the ration of mailed sign-in codes.

use sqlx::Row;

use super::{Issuance, Store};
use crate::error::Error;

/// A session as it was opened.
#[derive(Debug, Clone)]
pub(crate) struct AuthSession {
    pub(crate) client_id: String,
    pub(crate) failure_key: String,
    /// None for a name without an account.
    pub(crate) sub: Option<String>,
    pub(crate) step: SessionStep,
    /// For `email_otp`: the mailed code's digest.
    pub(crate) code_hash: Option<String>,
    /// Wrong codes given so far.
    pub(crate) attempts: i64,
    /// For `web_authn`: the ceremony's state (JSON).
    pub(crate) state: Option<String>,
    pub(crate) expires_at: i64,
}

/// What a session waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SessionStep {
    /// `SELECT_CHALLENGE`'s answer.
    SelectChallenge,
    /// The `EMAIL_OTP` code that was mailed.
    EmailOtp,
    /// A passkey's answer to the `WEB_AUTHN` challenge.
    WebAuthn,
    /// Nothing: a sign-up just confirmed signs in with it once.
    SignedUp,
    /// A code of the user's authenticator app (`SOFTWARE_TOKEN_MFA`).
    SoftwareTokenMfa,
    /// `SELECT_MFA_TYPE`'s answer.
    SelectMfaType,
    /// A second factor to set up (`MFA_SETUP`): an app's first code, or the
    /// address email codes are to go to.
    MfaSetup,
    /// Nothing: the app's first code was right, `MFA_SETUP`'s answer signs in.
    MfaSetUp,
    /// The code mailed to the address given in `MFA_SETUP`.
    EmailMfaSetup,
    /// The code texted for `SMS_MFA`.
    SmsMfa,
    /// The answer to a custom challenge (`CUSTOM_AUTH`'s `CUSTOM_CHALLENGE`).
    CustomChallenge,
}

impl SessionStep {
    const ALL: [SessionStep; 11] = [
        SessionStep::SelectChallenge,
        SessionStep::EmailOtp,
        SessionStep::WebAuthn,
        SessionStep::SignedUp,
        SessionStep::SoftwareTokenMfa,
        SessionStep::SelectMfaType,
        SessionStep::MfaSetup,
        SessionStep::MfaSetUp,
        SessionStep::EmailMfaSetup,
        SessionStep::SmsMfa,
        SessionStep::CustomChallenge,
    ];

    fn as_str(self) -> &'static str {
        match self {
            SessionStep::SelectChallenge => "select_challenge",
            SessionStep::EmailOtp => "email_otp",
            SessionStep::WebAuthn => "web_authn",
            SessionStep::SignedUp => "signed_up",
            SessionStep::SoftwareTokenMfa => "software_token_mfa",
            SessionStep::SelectMfaType => "select_mfa_type",
            SessionStep::MfaSetup => "mfa_setup",
            SessionStep::MfaSetUp => "mfa_set_up",
            SessionStep::EmailMfaSetup => "email_mfa_setup",
            SessionStep::SmsMfa => "sms_mfa",
            SessionStep::CustomChallenge => "custom_challenge",
        }
    }
}

impl Store {
    /// Keeps a session, and drops those expired.
    pub(crate) async fn put_auth_session(
        &self,
        session_hash: &str,
        session: &AuthSession,
        now: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM auth_sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO auth_sessions
                (session_hash, pool_id, client_id, failure_key, sub, step, code_hash, attempts, state,
                 expires_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(session_hash)
        .bind(&*self.pool_id)
        .bind(&session.client_id)
        .bind(&session.failure_key)
        .bind(&session.sub)
        .bind(session.step.as_str())
        .bind(&session.code_hash)
        .bind(session.attempts)
        .bind(&session.state)
        .bind(session.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// The unexpired session of this pool whose value has this digest, used
    /// up by the reading.
    pub(crate) async fn take_auth_session(
        &self,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<AuthSession>, Error> {
        let row = sqlx::query(
            "DELETE FROM auth_sessions WHERE session_hash = $1 AND pool_id = $2
             RETURNING client_id, failure_key, sub, step, code_hash, attempts, state, expires_at",
        )
        .bind(session_hash)
        .bind(&*self.pool_id)
        .fetch_optional(&self.db)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let expires_at: i64 = row.try_get("expires_at")?;
        let step: String = row.try_get("step")?;
        let Some(step) = SessionStep::ALL.into_iter().find(|s| s.as_str() == step) else {
            return Ok(None);
        };
        if expires_at < now {
            return Ok(None);
        }
        Ok(Some(AuthSession {
            client_id: row.try_get("client_id")?,
            failure_key: row.try_get("failure_key")?,
            sub: row.try_get("sub")?,
            step,
            code_hash: row.try_get("code_hash")?,
            attempts: row.try_get("attempts")?,
            state: row.try_get("state")?,
            expires_at,
        }))
    }

    /// The pool a live session is of, whatever pool this store is of: the
    /// operations that carry only a `Session` are routed by it.
    pub(crate) async fn auth_session_pool(
        &self,
        session_hash: &str,
        now: i64,
    ) -> Result<Option<String>, Error> {
        Ok(sqlx::query_scalar(
            "SELECT pool_id FROM auth_sessions WHERE session_hash = $1 AND expires_at >= $2",
        )
        .bind(session_hash)
        .bind(now)
        .fetch_optional(&self.db)
        .await?)
    }

    /// The sign-in codes mailed under `key` in its current window, if any.
    pub(crate) async fn sign_in_code_issuance(&self, key: &str) -> Result<Option<Issuance>, Error> {
        Ok(sqlx::query_as(
            "SELECT window_start, issued_in_window FROM sign_in_code_issuance WHERE failure_key = $1",
        )
        .bind(key)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Records a code mailed under `key`, and forgets windows that began before `stale_before`.
    pub(crate) async fn put_sign_in_code_issuance(
        &self,
        key: &str,
        issuance: Issuance,
        stale_before: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM sign_in_code_issuance WHERE window_start < $1")
            .bind(stale_before)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sign_in_code_issuance (failure_key, window_start, issued_in_window)
             VALUES ($1, $2, $3)
             ON CONFLICT (failure_key) DO UPDATE SET window_start = excluded.window_start,
                issued_in_window = excluded.issued_in_window",
        )
        .bind(key)
        .bind(issuance.window_start)
        .bind(issuance.issued_in_window)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
