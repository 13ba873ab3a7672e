//! The database and every query the pool runs: users, groups, verification
//! codes, authorization codes, refresh tokens, SSO sessions, signing keys, the
//! pool's own secrets, the mail outbox and the failure counters of the pool's
//! limits (`counters`). SQLite (WAL, synchronous=FULL) by default, PostgreSQL when
//! configured; one set of queries serves both through sqlx's `Any` driver, so
//! they keep to the SQL the two share (`$n` placeholders, `TRUE`/`FALSE`).
//! Each backend has its own embedded migrations, with the same versions, in
//! `src/store/migrations/{sqlite,postgres}/`. Secrets arrive here already digested.

use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, ConnectOptions, Connection, Executor, Row};

use crate::config::Database;
use crate::error::Error;
use crate::scope::Scope;

/// Used authorization codes are kept this long after expiry so replays are recognised.
const USED_CODE_RETENTION: i64 = 86_400;

/// The database, seen from one user pool: queries of users, groups and
/// signing keys see only that pool's (`in_pool`); the rest is the server's.
#[derive(Clone)]
pub(crate) struct Store {
    db: AnyPool,
    pool_id: std::sync::Arc<str>,
}

type Transaction<'a> = sqlx::Transaction<'a, sqlx::Any>;

#[derive(Debug, Clone)]
pub(crate) struct User {
    pub(crate) sub: String,
    /// Cognito's username: the sub where the email is the username.
    pub(crate) username: String,
    /// Lower-cased. Every user of a pool whose email is the username has one.
    pub(crate) email: Option<String>,
    pub(crate) password_hash: String,
    /// The password's SRP verifier (`srp::stored`), where one was made.
    pub(crate) srp_verifier: Option<String>,
    pub(crate) confirmed: bool,
    pub(crate) enabled: bool,
    /// Created by an administrator with a temporary password (FORCE_CHANGE_PASSWORD).
    pub(crate) force_password_change: bool,
    /// An administrator invalidated the password (RESET_REQUIRED): a new one is set with a code.
    pub(crate) password_reset_required: bool,
    /// Signed up without a password: the stored one is a secret nobody knows.
    pub(crate) passwordless: bool,
    /// Created by an upstream identity provider's sign-in (EXTERNAL_PROVIDER): no password of its own.
    pub(crate) external_provider: bool,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

impl<'r> sqlx::FromRow<'r, AnyRow> for User {
    fn from_row(row: &'r AnyRow) -> Result<User, sqlx::Error> {
        Ok(User {
            sub: row.try_get("sub")?,
            username: row.try_get("username")?,
            email: row.try_get("email")?,
            password_hash: row.try_get("password_hash")?,
            srp_verifier: row.try_get("srp_verifier")?,
            confirmed: flag(row, "confirmed")?,
            enabled: flag(row, "enabled")?,
            force_password_change: flag(row, "force_password_change")?,
            password_reset_required: flag(row, "password_reset_required")?,
            passwordless: flag(row, "passwordless")?,
            external_provider: flag(row, "external_provider")?,
            created_at: row.try_get("created_at")?,
            updated_at: row.try_get("updated_at")?,
        })
    }
}

/// A column of JSON text (a pool's or a client's settings), decoded.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &AnyRow,
    column: &str,
) -> Result<T, sqlx::Error> {
    let text: String = row.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| sqlx::Error::ColumnDecode {
        index: column.to_owned(),
        source: Box::new(e),
    })
}

/// Settings as the JSON text a settings column keeps.
fn json_text(settings: &impl serde::Serialize) -> Result<String, Error> {
    Ok(serde_json::to_string(settings)?)
}

/// A flag column: BOOLEAN in PostgreSQL, 0 or 1 in SQLite (which has no boolean type).
fn flag(row: &AnyRow, column: &str) -> Result<bool, sqlx::Error> {
    row.try_get::<bool, _>(column)
        .or_else(|_| Ok(row.try_get::<i64, _>(column)? != 0))
}

impl User {
    /// Whether the account may be given tokens: confirmed, enabled, and with a password of its own.
    pub(crate) fn can_hold_tokens(&self) -> bool {
        self.confirmed && self.enabled && !self.force_password_change
    }

    /// Its `UserStatus`, in Cognito's names.
    pub(crate) fn status(&self) -> &'static str {
        if self.external_provider {
            "EXTERNAL_PROVIDER"
        } else if !self.confirmed {
            "UNCONFIRMED"
        } else if self.password_reset_required {
            "RESET_REQUIRED"
        } else if self.force_password_change {
            "FORCE_CHANGE_PASSWORD"
        } else {
            "CONFIRMED"
        }
    }
}

/// A password as the store keeps it: its Argon2id hash (PHC string) and its
/// SRP verifier, always written together.
pub(crate) struct Credential {
    pub(crate) password_hash: String,
    pub(crate) srp_verifier: String,
    /// Of a random secret, for an account signed up without a password.
    pub(crate) passwordless: bool,
}

/// `SELECT`s every column of [`User`] from `users u`, followed by the rest of the query.
macro_rules! select_users {
    ($rest:literal) => {
        concat!(
            "SELECT u.sub, u.username, u.email, u.password_hash, u.srp_verifier, u.confirmed,
                    u.enabled, u.force_password_change, u.password_reset_required,
                    u.passwordless, u.external_provider, u.created_at, u.updated_at
             FROM users u ",
            $rest
        )
    };
}

/// A query for the [`RefreshToken`] rows that match `$where` (an SQL condition).
macro_rules! select_refresh_token {
    ($where:literal) => {
        concat!(
            "SELECT token_hash, client_id, sub, scope, auth_time, origin_jti, event_id,
                    auth_code_hash, expires_at
             FROM refresh_tokens WHERE ",
            $where
        )
    };
}

mod app_clients;
mod attribute_codes;
mod auth_sessions;
mod branding;
mod counters;
mod identity_providers;
mod mfa;
mod passkeys;
mod pools;
mod sqlite_file;
mod srp;
// After `select_users!`, which it uses.
mod directory;

pub(crate) use attribute_codes::{NewAttributeCode, Proof};
pub(crate) use auth_sessions::{AuthSession, SessionStep};
pub(crate) use counters::AddressWindow;
pub(crate) use directory::{FilterField, Group, GroupChanges, UserFilter};
pub(crate) use identity_providers::{FederatedIdentity, FederationRequest};
pub(crate) use passkeys::StoredPasskey;
pub(crate) use srp::SrpChallenge;

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct VerificationCode {
    pub(crate) code_hash: String,
    pub(crate) expires_at: i64,
    pub(crate) attempts: i64,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct AuthCode {
    pub(crate) code_hash: String,
    pub(crate) client_id: String,
    pub(crate) redirect_uri: String,
    pub(crate) sub: String,
    #[sqlx(try_from = "String")]
    pub(crate) scope: Scope,
    pub(crate) nonce: Option<String>,
    pub(crate) code_challenge: String,
    pub(crate) auth_time: i64,
    pub(crate) event_id: String,
    pub(crate) expires_at: i64,
}

/// What redeeming an authorization code found.
#[derive(Debug)]
pub(crate) enum Redeemed {
    /// First use: the code is now spent.
    Fresh(Box<AuthCode>),
    /// Already used: the refresh tokens it produced have just been revoked (RFC 9700 §4.5).
    Replayed,
    Unknown,
}

#[derive(Debug, Clone)]
pub(crate) struct RefreshToken {
    pub(crate) token_hash: String,
    pub(crate) client_id: String,
    pub(crate) sub: String,
    pub(crate) scope: Scope,
    pub(crate) auth_time: i64,
    pub(crate) origin_jti: String,
    pub(crate) event_id: String,
    /// The digest of the authorization code the sign-in redeemed; None when it
    /// redeemed none (the JSON API's flows).
    pub(crate) auth_code_hash: Option<String>,
    pub(crate) expires_at: i64,
}

/// How the column `refresh_tokens.auth_code_hash` says "no code": the empty
/// string, which no digest is, so that it matches no code.
const NO_AUTH_CODE: &str = "";

impl<'r> sqlx::FromRow<'r, AnyRow> for RefreshToken {
    fn from_row(row: &'r AnyRow) -> Result<RefreshToken, sqlx::Error> {
        let auth_code_hash: String = row.try_get("auth_code_hash")?;
        Ok(RefreshToken {
            token_hash: row.try_get("token_hash")?,
            client_id: row.try_get("client_id")?,
            sub: row.try_get("sub")?,
            scope: Scope::parse(row.try_get("scope")?),
            auth_time: row.try_get("auth_time")?,
            origin_jti: row.try_get("origin_jti")?,
            event_id: row.try_get("event_id")?,
            auth_code_hash: (auth_code_hash != NO_AUTH_CODE).then_some(auth_code_hash),
            expires_at: row.try_get("expires_at")?,
        })
    }
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Session {
    pub(crate) sub: String,
    pub(crate) auth_time: i64,
}

#[derive(Clone, sqlx::FromRow)]
pub(crate) struct StoredKey {
    pub(crate) kid: String,
    /// PKCS#8 DER.
    pub(crate) pkcs8: Vec<u8>,
    pub(crate) active_from: i64,
}

#[derive(Debug, Clone, serde::Serialize)]
pub(crate) struct Mail {
    pub(crate) to: String,
    pub(crate) subject: String,
    pub(crate) body: String,
    /// RFC 3339, UTC.
    pub(crate) sent_at: String,
}

impl<'r> sqlx::FromRow<'r, AnyRow> for Mail {
    fn from_row(row: &'r AnyRow) -> Result<Mail, sqlx::Error> {
        let sent_at: i64 = row.try_get("sent_at")?;
        Ok(Mail {
            to: row.try_get("recipient")?,
            subject: row.try_get("subject")?,
            body: row.try_get("body")?,
            sent_at: rfc3339(sent_at),
        })
    }
}

/// Unix seconds as RFC 3339 in UTC (`2026-11-22T20:00:00Z`).
fn rfc3339(unix_seconds: i64) -> String {
    use cookie::time::{OffsetDateTime, format_description::well_known::Rfc3339};
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_default()
}

impl Store {
    /// Connects, and brings the schema up to date; a migration that fails is
    /// rolled back and reported.
    pub(crate) async fn open(database: &Database) -> Result<Store, Error> {
        let db = connect(database).await?;
        match database {
            Database::Sqlite(_) => {
                sqlx::migrate!("src/store/migrations/sqlite")
                    .run(&db)
                    .await?
            }
            Database::Postgres(_) => {
                sqlx::migrate!("src/store/migrations/postgres")
                    .run(&db)
                    .await?
            }
        }
        Ok(Store {
            db,
            pool_id: "".into(),
        })
    }

    /// The same database, seen from the pool `pool_id`.
    pub(crate) fn in_pool(&self, pool_id: &str) -> Store {
        Store {
            db: self.db.clone(),
            pool_id: pool_id.into(),
        }
    }

    /// Whether the database takes a write: a committed one-row upsert.
    pub(crate) async fn probe_write(&self, now: i64) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO health_probe (id, checked_at) VALUES (1, $1)
             ON CONFLICT (id) DO UPDATE SET checked_at = excluded.checked_at",
        )
        .bind(now)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    // --- users ---

    /// The tests' way to find a user (the crate finds them by name, `user_by_username`).
    #[cfg(test)]
    pub(crate) async fn user_by_email(&self, email: &str) -> Result<Option<User>, Error> {
        Ok(
            sqlx::query_as(select_users!("WHERE u.pool_id = $1 AND u.email = $2"))
                .bind(&*self.pool_id)
                .bind(email)
                .fetch_optional(&self.db)
                .await?,
        )
    }

    pub(crate) async fn user(&self, sub: &str) -> Result<Option<User>, Error> {
        Ok(
            sqlx::query_as(select_users!("WHERE u.pool_id = $1 AND u.sub = $2"))
                .bind(&*self.pool_id)
                .bind(sub)
                .fetch_optional(&self.db)
                .await?,
        )
    }

    /// Signing up again before confirming: the new password replaces the old one.
    pub(crate) async fn reset_unconfirmed_user(
        &self,
        sub: &str,
        credential: &Credential,
        code: &NewCode<'_>,
        now: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, srp_verifier = $2, passwordless = $3, updated_at = $4
             WHERE sub = $5 AND confirmed = FALSE",
        )
        .bind(&credential.password_hash)
        .bind(&credential.srp_verifier)
        .bind(credential.passwordless)
        .bind(now)
        .bind(sub)
        .execute(&mut *tx)
        .await?;
        put_code(&mut tx, sub, code).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn replace_code(&self, sub: &str, code: &NewCode<'_>) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        put_code(&mut tx, sub, code).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Invalidates the user's password (RESET_REQUIRED) and saves the reset
    /// `code` they are sent, together.
    pub(crate) async fn require_password_reset(
        &self,
        sub: &str,
        code: &NewCode<'_>,
        now: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE users SET password_reset_required = TRUE, updated_at = $1 WHERE sub = $2",
        )
        .bind(now)
        .bind(sub)
        .execute(&mut *tx)
        .await?;
        put_code(&mut tx, sub, code).await?;
        tx.commit().await?;
        Ok(())
    }

    /// The user's pending code, if it was issued for `purpose`.
    pub(crate) async fn code(
        &self,
        sub: &str,
        purpose: CodePurpose,
    ) -> Result<Option<VerificationCode>, Error> {
        Ok(sqlx::query_as(
            "SELECT code_hash, expires_at, attempts FROM verification_codes
             WHERE sub = $1 AND purpose = $2",
        )
        .bind(sub)
        .bind(purpose.as_str())
        .fetch_optional(&self.db)
        .await?)
    }

    /// How many codes the user was mailed lately, whatever they were for.
    pub(crate) async fn code_issuance(&self, sub: &str) -> Result<Option<Issuance>, Error> {
        Ok(sqlx::query_as(
            "SELECT window_start, issued_in_window FROM verification_codes WHERE sub = $1",
        )
        .bind(sub)
        .fetch_optional(&self.db)
        .await?)
    }

    pub(crate) async fn count_code_attempt(&self, sub: &str) -> Result<(), Error> {
        sqlx::query("UPDATE verification_codes SET attempts = attempts + 1 WHERE sub = $1")
            .bind(sub)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Marks the user confirmed and spends the code.
    pub(crate) async fn confirm_user(&self, sub: &str, now: i64) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query("UPDATE users SET confirmed = TRUE, updated_at = $1 WHERE sub = $2")
            .bind(now)
            .bind(sub)
            .execute(&mut *tx)
            .await?;
        spend_code(&mut tx, sub).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Sets a new password and spends the reset code. Every session of the user
    /// ends with it: refresh tokens are revoked and SSO sessions deleted, so a
    /// reset locks out whoever knew the old password.
    pub(crate) async fn reset_password(
        &self,
        sub: &str,
        credential: &Credential,
        now: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query(
            "UPDATE users SET password_hash = $1, srp_verifier = $2, password_reset_required = FALSE,
                passwordless = $3, updated_at = $4
             WHERE sub = $5",
        )
        .bind(&credential.password_hash)
        .bind(&credential.srp_verifier)
        .bind(credential.passwordless)
        .bind(now)
            .bind(sub)
            .execute(&mut *tx)
            .await?;
        spend_code(&mut tx, sub).await?;
        end_sessions(&mut tx, sub, now).await?;
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn groups(&self, sub: &str) -> Result<Vec<String>, Error> {
        // Cognito lists groups by precedence (lowest first).
        Ok(sqlx::query_scalar(
            "SELECT g.name FROM user_groups ug
             JOIN groups g ON g.pool_id = ug.pool_id AND g.name = ug.group_name
             WHERE ug.sub = $1 ORDER BY g.precedence IS NULL, g.precedence, g.name",
        )
        .bind(sub)
        .fetch_all(&self.db)
        .await?)
    }

    // --- authorization codes and refresh tokens ---

    pub(crate) async fn insert_auth_code(&self, code: &AuthCode, now: i64) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        insert_auth_code(&mut tx, code, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Spends an authorization code, atomically: of two concurrent redemptions
    /// only one sees it fresh.
    pub(crate) async fn redeem_auth_code(
        &self,
        code_hash: &str,
        now: i64,
    ) -> Result<Redeemed, Error> {
        let mut tx = self.db.begin().await?;
        let spent = sqlx::query_as::<_, AuthCode>(
            "UPDATE auth_codes SET used_at = $1 WHERE code_hash = $2 AND used_at IS NULL
             RETURNING code_hash, client_id, redirect_uri, sub, scope, nonce, code_challenge,
                       auth_time, event_id, expires_at",
        )
        .bind(now)
        .bind(code_hash)
        .fetch_optional(&mut *tx)
        .await?;
        let outcome = match spent {
            Some(code) => Redeemed::Fresh(Box::new(code)),
            None => {
                let revoked = sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $1
                     WHERE auth_code_hash = $2 AND revoked_at IS NULL",
                )
                .bind(now)
                .bind(code_hash)
                .execute(&mut *tx)
                .await?;
                let known: Option<i64> =
                    sqlx::query_scalar("SELECT 1 FROM auth_codes WHERE code_hash = $1")
                        .bind(code_hash)
                        .fetch_optional(&mut *tx)
                        .await?;
                if known.is_some() {
                    tracing::warn!(
                        revoked = revoked.rows_affected(),
                        "authorization code replayed; its refresh tokens are revoked"
                    );
                    Redeemed::Replayed
                } else {
                    Redeemed::Unknown
                }
            }
        };
        tx.commit().await?;
        Ok(outcome)
    }

    pub(crate) async fn insert_refresh_token(&self, token: &RefreshToken) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        insert_refresh_token(&mut tx, token).await?;
        tx.commit().await?;
        Ok(())
    }

    /// A refresh token that is neither revoked nor expired.
    pub(crate) async fn live_refresh_token(
        &self,
        token_hash: &str,
        now: i64,
    ) -> Result<Option<RefreshToken>, Error> {
        Ok(sqlx::query_as(select_refresh_token!(
            "token_hash = $1 AND revoked_at IS NULL AND rotated_at IS NULL AND expires_at > $2"
        ))
        .bind(token_hash)
        .bind(now)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Retires the live refresh token `old_hash` and stores its successor, atomically:
    /// of two concurrent rotations only one succeeds (false for the other).
    pub(crate) async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        successor: &RefreshToken,
        now: i64,
    ) -> Result<bool, Error> {
        let mut tx = self.db.begin().await?;
        let retired = sqlx::query(
            "UPDATE refresh_tokens SET rotated_at = $1
             WHERE token_hash = $2 AND rotated_at IS NULL AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(old_hash)
        .execute(&mut *tx)
        .await?;
        if retired.rows_affected() != 1 {
            return Ok(false);
        }
        insert_refresh_token(&mut tx, successor).await?;
        tx.commit().await?;
        Ok(true)
    }

    /// The refresh token `token_hash` of `client_id` if it was rotated out at
    /// `rotated_since` or later and is otherwise live: within its grace period.
    pub(crate) async fn refresh_token_in_grace(
        &self,
        token_hash: &str,
        client_id: &str,
        rotated_since: i64,
        now: i64,
    ) -> Result<Option<RefreshToken>, Error> {
        Ok(sqlx::query_as(select_refresh_token!(
            "token_hash = $1 AND client_id = $2 AND revoked_at IS NULL
               AND rotated_at >= $3 AND expires_at > $4"
        ))
        .bind(token_hash)
        .bind(client_id)
        .bind(rotated_since)
        .bind(now)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Whether `token_hash` is a retired (rotated) refresh token of `client_id`.
    pub(crate) async fn refresh_token_rotated(
        &self,
        token_hash: &str,
        client_id: &str,
    ) -> Result<bool, Error> {
        let rotated: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM refresh_tokens
             WHERE token_hash = $1 AND client_id = $2 AND rotated_at IS NOT NULL",
        )
        .bind(token_hash)
        .bind(client_id)
        .fetch_optional(&self.db)
        .await?;
        Ok(rotated.is_some())
    }

    /// Revokes the refresh token `token_hash` of `client_id` and the rest of its
    /// `origin_jti` family; returns how many were live.
    pub(crate) async fn revoke_refresh_family(
        &self,
        token_hash: &str,
        client_id: &str,
        now: i64,
    ) -> Result<u64, Error> {
        let revoked = sqlx::query(
            "UPDATE refresh_tokens SET revoked_at = $1
             WHERE revoked_at IS NULL AND origin_jti IN (
                SELECT origin_jti FROM refresh_tokens WHERE token_hash = $2 AND client_id = $3)",
        )
        .bind(now)
        .bind(token_hash)
        .bind(client_id)
        .execute(&self.db)
        .await?;
        Ok(revoked.rows_affected())
    }

    /// Whether the sign-in that `origin_jti` names was revoked (logout, code
    /// replay or password reset): its access tokens are dead too.
    pub(crate) async fn origin_revoked(&self, origin_jti: &str) -> Result<bool, Error> {
        let revoked: Option<i64> = sqlx::query_scalar(
            "SELECT 1 FROM refresh_tokens WHERE origin_jti = $1 AND revoked_at IS NOT NULL LIMIT 1",
        )
        .bind(origin_jti)
        .fetch_optional(&self.db)
        .await?;
        Ok(revoked.is_some())
    }

    // --- SSO sessions ---

    /// Stores a new SSO session and, when given, the authorization code issued
    /// with it, in one transaction.
    pub(crate) async fn insert_session(
        &self,
        id_hash: &str,
        session: &Session,
        expires_at: i64,
        code: Option<&AuthCode>,
        now: i64,
    ) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        sqlx::query("DELETE FROM sso_sessions WHERE expires_at <= $1")
            .bind(now)
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO sso_sessions (id_hash, sub, auth_time, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(id_hash)
        .bind(&session.sub)
        .bind(session.auth_time)
        .bind(expires_at)
        .execute(&mut *tx)
        .await?;
        if let Some(code) = code {
            insert_auth_code(&mut tx, code, now).await?;
        }
        tx.commit().await?;
        Ok(())
    }

    pub(crate) async fn live_session(
        &self,
        id_hash: &str,
        now: i64,
    ) -> Result<Option<Session>, Error> {
        Ok(sqlx::query_as(
            "SELECT sub, auth_time FROM sso_sessions WHERE id_hash = $1 AND expires_at > $2",
        )
        .bind(id_hash)
        .bind(now)
        .fetch_optional(&self.db)
        .await?)
    }

    pub(crate) async fn delete_session(&self, id_hash: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM sso_sessions WHERE id_hash = $1")
            .bind(id_hash)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    // --- signing keys ---

    /// Every signing key, oldest first.
    pub(crate) async fn signing_keys(&self) -> Result<Vec<StoredKey>, Error> {
        Ok(sqlx::query_as(
            "SELECT kid, pkcs8, active_from FROM signing_keys WHERE pool_id = $1
             ORDER BY active_from, created_at, kid",
        )
        .bind(&*self.pool_id)
        .fetch_all(&self.db)
        .await?)
    }

    pub(crate) async fn insert_signing_key(
        &self,
        kid: &str,
        pkcs8: &[u8],
        active_from: i64,
        now: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO signing_keys (pool_id, kid, pkcs8, created_at, active_from)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(&*self.pool_id)
        .bind(kid)
        .bind(pkcs8)
        .bind(now)
        .bind(active_from)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    // --- pool secrets ---

    /// The stored value of the secret `name`, which is `candidate` unless
    /// another was stored first: replicas starting at once all get the first.
    pub(crate) async fn pool_secret(&self, name: &str, candidate: &str) -> Result<String, Error> {
        sqlx::query(
            "INSERT INTO pool_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .execute(&self.db)
        .await?;
        Ok(
            sqlx::query_scalar("SELECT value FROM pool_secrets WHERE name = $1")
                .bind(name)
                .fetch_one(&self.db)
                .await?,
        )
    }

    // --- outbox ---

    pub(crate) async fn insert_mail(
        &self,
        to: &str,
        subject: &str,
        body: &str,
        now: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO outbox (recipient, subject, body, sent_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(to)
        .bind(subject)
        .bind(body)
        .bind(now)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// Sent mail, newest first, optionally only to one recipient (any case).
    pub(crate) async fn mail(&self, to: Option<&str>) -> Result<Vec<Mail>, Error> {
        Ok(sqlx::query_as(
            "SELECT recipient, subject, body, sent_at
             FROM outbox WHERE CAST($1 AS TEXT) IS NULL OR lower(recipient) = lower($1)
             ORDER BY id DESC LIMIT 500",
        )
        .bind(to)
        .fetch_all(&self.db)
        .await?)
    }
}

/// A connection pool to `database` as it is, without migrating it.
pub(crate) async fn connect(database: &Database) -> Result<AnyPool, Error> {
    sqlx::any::install_default_drivers();
    Ok(match database {
        Database::Sqlite(file) => {
            if let Some(dir) = file.parent() {
                std::fs::create_dir_all(dir).map_err(Error::DataDir)?;
            }
            let options = sqlx::sqlite::SqliteConnectOptions::new()
                .filename(file)
                .create_if_missing(true);
            let budget = sqlite_file::QUICK_CHECK_BUDGET;
            if sqlite_file::check(file, &options, budget).await? == sqlite_file::Checked::Unfinished
            {
                tracing::warn!(
                    file = %file.display(),
                    "the database's integrity check did not finish within {} s; the pool starts without it",
                    budget.as_secs()
                );
            }
            let url = options.to_url_lossy();
            AnyPoolOptions::new()
                .max_connections(4)
                .after_connect(|connection, _| {
                    Box::pin(async move {
                        // WAL with synchronous=FULL: an acknowledged write survives a crash.
                        connection
                            .execute(
                                "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL;
                                 PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;",
                            )
                            .await?;
                        Ok(())
                    })
                })
                .after_release(|connection, _| {
                    // When SQLite ends a transaction itself (a full disk, an I/O
                    // error), the ROLLBACK sqlx sends on drop fails and sqlx still
                    // counts the transaction open; the connection's next one would
                    // then be a savepoint that never commits and holds the write
                    // lock. A connection released with a transaction counted open is
                    // closed rather than reused (closing rolls back). Committed
                    // transactions are never counted open here; one dropped on a
                    // conflict or an error may still have its ROLLBACK queued, and
                    // its connection is closed too: not waiting spares every release
                    // a round trip to the connection's thread.
                    let reusable = !connection.is_in_transaction();
                    Box::pin(async move { Ok(reusable) })
                })
                .connect_with(AnyConnectOptions::from_url(&url)?)
                .await?
        }
        Database::Postgres(url) => {
            AnyPoolOptions::new()
                .max_connections(8)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url.expose())
                .await?
        }
    })
}

/// The database a test runs on: SQLite in `dir`, or, when
/// `USERPOOL_TEST_DATABASE_URL` names a PostgreSQL server (as `make test` does
/// for its second run), a new database of its own there.
#[cfg(test)]
pub(crate) async fn test_database(dir: &std::path::Path) -> Database {
    let Ok(server) = std::env::var("USERPOOL_TEST_DATABASE_URL") else {
        return Database::Sqlite(dir.join("userpool.sqlite3"));
    };
    use sqlx::Connection;
    let name = format!("test_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&server)
        .await
        .expect("USERPOOL_TEST_DATABASE_URL must reach a PostgreSQL server");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("CREATE DATABASE");
    let mut url = url::Url::parse(&server).expect("USERPOOL_TEST_DATABASE_URL is a URL");
    url.set_path(&name);
    Database::Postgres(crate::DatabaseUrl::new(url.as_str()).expect("a postgres:// URL"))
}

/// The directory of `database`'s migrations, for tests that replay older releases.
#[cfg(test)]
pub(crate) fn migrations_dir(database: &Database) -> &'static str {
    match database {
        Database::Sqlite(_) => "src/store/migrations/sqlite",
        Database::Postgres(_) => "src/store/migrations/postgres",
    }
}

/// What a mailed code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CodePurpose {
    SignUp,
    PasswordReset,
}

impl CodePurpose {
    fn as_str(self) -> &'static str {
        match self {
            CodePurpose::SignUp => "sign_up",
            CodePurpose::PasswordReset => "password_reset",
        }
    }
}

/// A mailed code about to be stored.
pub(crate) struct NewCode<'a> {
    pub(crate) code_hash: &'a str,
    pub(crate) purpose: CodePurpose,
    pub(crate) expires_at: i64,
    pub(crate) issuance: Issuance,
}

/// How many codes a user was mailed since `window_start`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::FromRow)]
pub(crate) struct Issuance {
    pub(crate) window_start: i64,
    pub(crate) issued_in_window: i64,
}

/// Whether an INSERT added its row: false when it broke a UNIQUE or primary-key
/// constraint because the row exists (created, perhaps, by a concurrent request
/// an instant before). The one place where such a violation becomes an answer
/// (`UsernameExistsException`, a skipped import) rather than an internal error;
/// on PostgreSQL the transaction is then aborted, and dropping it rolls it back.
fn inserted(result: Result<sqlx::any::AnyQueryResult, sqlx::Error>) -> Result<bool, Error> {
    match result {
        Ok(_) => Ok(true),
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => Ok(false),
        Err(error) => Err(error.into()),
    }
}

/// Stores an authorization code, and drops codes long expired.
async fn insert_auth_code(
    tx: &mut Transaction<'_>,
    code: &AuthCode,
    now: i64,
) -> Result<(), Error> {
    sqlx::query("DELETE FROM auth_codes WHERE expires_at < $1")
        .bind(now - USED_CODE_RETENTION)
        .execute(&mut **tx)
        .await?;
    sqlx::query(
        "INSERT INTO auth_codes (code_hash, client_id, redirect_uri, sub, scope, nonce,
            code_challenge, auth_time, event_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(&code.code_hash)
    .bind(&code.client_id)
    .bind(&code.redirect_uri)
    .bind(&code.sub)
    .bind(code.scope.to_string())
    .bind(&code.nonce)
    .bind(&code.code_challenge)
    .bind(code.auth_time)
    .bind(&code.event_id)
    .bind(code.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

async fn insert_refresh_token(tx: &mut Transaction<'_>, token: &RefreshToken) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO refresh_tokens (token_hash, client_id, sub, scope, auth_time, origin_jti,
            event_id, auth_code_hash, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(&token.token_hash)
    .bind(&token.client_id)
    .bind(&token.sub)
    .bind(token.scope.to_string())
    .bind(token.auth_time)
    .bind(&token.origin_jti)
    .bind(&token.event_id)
    .bind(token.auth_code_hash.as_deref().unwrap_or(NO_AUTH_CODE))
    .bind(token.expires_at)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

/// Revokes every refresh token of the user (and with them their access tokens,
/// see `origin_revoked`) and ends their hosted-UI sessions.
async fn end_sessions(tx: &mut Transaction<'_>, sub: &str, now: i64) -> Result<(), Error> {
    sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE sub = $2 AND revoked_at IS NULL")
        .bind(now)
        .bind(sub)
        .execute(&mut **tx)
        .await?;
    sqlx::query("DELETE FROM sso_sessions WHERE sub = $1")
        .bind(sub)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Deletes the user's pending code, once it has served its purpose.
async fn spend_code(tx: &mut Transaction<'_>, sub: &str) -> Result<(), Error> {
    sqlx::query("DELETE FROM verification_codes WHERE sub = $1")
        .bind(sub)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// Replaces the user's pending code (of either purpose); a new code starts with no failed attempts.
async fn put_code(tx: &mut Transaction<'_>, sub: &str, code: &NewCode<'_>) -> Result<(), Error> {
    sqlx::query(
        "INSERT INTO verification_codes
            (sub, code_hash, purpose, expires_at, attempts, window_start, issued_in_window)
         VALUES ($1, $2, $3, $4, 0, $5, $6)
         ON CONFLICT (sub) DO UPDATE SET code_hash = excluded.code_hash,
            purpose = excluded.purpose, expires_at = excluded.expires_at, attempts = 0,
            window_start = excluded.window_start, issued_in_window = excluded.issued_in_window",
    )
    .bind(sub)
    .bind(code.code_hash)
    .bind(code.purpose.as_str())
    .bind(code.expires_at)
    .bind(code.issuance.window_start)
    .bind(code.issuance.issued_in_window)
    .execute(&mut **tx)
    .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The typed fields of a refresh token are stored as they always were (old
    /// databases read the same): a space-separated scope, and the empty string
    /// for "no authorization code".
    #[tokio::test]
    async fn refresh_tokens_keep_their_stored_form() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&test_database(dir.path()).await).await.unwrap();
        let sub = "0b7c2f1e-0000-4000-8000-000000000000";
        assert!(
            store
                .insert_user(
                    &User {
                        sub: sub.to_owned(),
                        username: sub.to_owned(),
                        email: Some("a@example.com".to_owned()),
                        password_hash: "$argon2id$x".to_owned(),
                        srp_verifier: None,
                        confirmed: true,
                        enabled: true,
                        force_password_change: false,
                        password_reset_required: false,
                        passwordless: false,
                        external_provider: false,
                        created_at: 1,
                        updated_at: 1,
                    },
                    &crate::pools::SignInKeys {
                        email: Some("a@example.com".to_owned()),
                        ..Default::default()
                    },
                    &[],
                    &[],
                    None,
                )
                .await
                .unwrap()
        );
        for (token_hash, code) in [("from-api", None), ("from-code", Some("c0de-digest"))] {
            store
                .insert_refresh_token(&RefreshToken {
                    token_hash: token_hash.to_owned(),
                    client_id: "client".to_owned(),
                    sub: sub.to_owned(),
                    scope: Scope::parse("openid email"),
                    auth_time: 1,
                    origin_jti: format!("origin-{token_hash}"),
                    event_id: "event".to_owned(),
                    auth_code_hash: code.map(str::to_owned),
                    expires_at: 100,
                })
                .await
                .unwrap();
            let (scope, stored_code): (String, String) = sqlx::query_as(
                "SELECT scope, auth_code_hash FROM refresh_tokens WHERE token_hash = $1",
            )
            .bind(token_hash)
            .fetch_one(&store.db)
            .await
            .unwrap();
            assert_eq!(scope, "openid email");
            assert_eq!(stored_code, code.unwrap_or(""));
            let read = store
                .live_refresh_token(token_hash, 2)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(read.auth_code_hash.as_deref(), code);
            assert_eq!(read.scope, Scope::parse("openid email"));
        }
    }
}
