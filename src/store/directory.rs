//! The user directory as Cognito's admin API sees it: attributes, enabling and
//! disabling, administrator-set passwords, deletion, groups and paged listings.

use super::{Store, User};
use crate::error::Error;
use crate::pools::{NameLookup, SignInKeys};

#[derive(Debug, Clone, sqlx::FromRow)]
pub(crate) struct Group {
    pub(crate) name: String,
    pub(crate) description: Option<String>,
    pub(crate) precedence: Option<i64>,
    /// Cognito's `RoleArn`: an IAM role's ARN, stored as given.
    pub(crate) role_arn: Option<String>,
    pub(crate) created_at: i64,
    pub(crate) updated_at: i64,
}

/// What UpdateGroup changes: each field given replaces the group's, the others stay.
#[derive(Debug, Clone, Default)]
pub(crate) struct GroupChanges {
    pub(crate) description: Option<String>,
    pub(crate) precedence: Option<i64>,
    pub(crate) role_arn: Option<String>,
}

/// One condition of a `ListUsers` filter, on a column or attribute the caller
/// has already checked against Cognito's list of searchable attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UserFilter {
    pub(crate) field: FilterField,
    pub(crate) value: String,
    /// `^=` rather than `=`.
    pub(crate) prefix: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum FilterField {
    Sub,
    Email,
    /// `cognito:user_status`: UNCONFIRMED, CONFIRMED or FORCE_CHANGE_PASSWORD.
    UserStatus,
    /// `status`: Enabled or Disabled.
    Enabled,
    /// A standard attribute kept in `user_attributes` (the name is from an allow-list).
    Attribute(&'static str),
}

/// A page of users (or groups), and whether more follow.
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    pub(crate) more: bool,
}

impl<T> Page<T> {
    /// The key of the page's last item, when more follow: what the next page starts after.
    pub(crate) fn last_key(&self, key: impl Fn(&T) -> &str) -> Option<&str> {
        self.items.last().filter(|_| self.more).map(key)
    }
}

pub(super) fn page<T>(mut items: Vec<T>, limit: i64) -> Page<T> {
    let limit = usize::try_from(limit).unwrap_or(0);
    let more = items.len() > limit;
    items.truncate(limit);
    Page { items, more }
}

impl Store {
    /// A user by username, or by another sign-in name (an email address,
    /// phone number or preferred username, where the pool signs in with it).
    pub(crate) async fn user_by_username(&self, name: &NameLookup) -> Result<Option<User>, Error> {
        Ok(sqlx::query_as(select_users!(
            "WHERE u.pool_id = $1 AND (u.username = $2 OR u.email_key = $3 OR u.phone_key = $4
                   OR u.preferred_key = $5)"
        ))
        .bind(&*self.pool_id)
        .bind(&name.username)
        .bind(&name.keys.email)
        .bind(&name.keys.phone_number)
        .bind(&name.keys.preferred_username)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Inserts a user exactly as given (signed up, created by an administrator,
    /// or imported), with attributes, the memberships of groups that exist and
    /// a sign-up's confirmation code, in one transaction (a failure leaves no
    /// half-made account); false, changing nothing, when the sub, the username
    /// or a sign-in name of `keys` already has an account (one a concurrent
    /// request created an instant before included).
    pub(crate) async fn insert_user(
        &self,
        user: &User,
        keys: &SignInKeys,
        attributes: &[(String, String)],
        groups: &[String],
        code: Option<&super::NewCode<'_>>,
    ) -> Result<bool, Error> {
        let mut tx = self.db.begin().await?;
        let insert = sqlx::query(
            "INSERT INTO users (pool_id, sub, username, email, email_key, phone_key, preferred_key,
                                password_hash, srp_verifier, confirmed, enabled,
                                force_password_change, password_reset_required, passwordless,
                                external_provider, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
        )
        .bind(&*self.pool_id)
        .bind(&user.sub)
        .bind(&user.username)
        .bind(&user.email)
        .bind(&keys.email)
        .bind(&keys.phone_number)
        .bind(&keys.preferred_username)
        .bind(&user.password_hash)
        .bind(&user.srp_verifier)
        .bind(user.confirmed)
        .bind(user.enabled)
        .bind(user.force_password_change)
        .bind(user.password_reset_required)
        .bind(user.passwordless)
        .bind(user.external_provider)
        .bind(user.created_at)
        .bind(user.updated_at)
        .execute(&mut *tx)
        .await;
        if !super::inserted(insert)? {
            return Ok(false);
        }
        put_attributes(&mut tx, &user.sub, attributes).await?;
        for group in groups {
            sqlx::query(
                "INSERT INTO user_groups (sub, pool_id, group_name)
                 SELECT $1, pool_id, name FROM groups WHERE pool_id = $2 AND name = $3
                 ON CONFLICT DO NOTHING",
            )
            .bind(&user.sub)
            .bind(&*self.pool_id)
            .bind(group)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(code) = code {
            super::put_code(&mut tx, &user.sub, code).await?;
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Attributes other than `sub` and `email`, by name.
    pub(crate) async fn attributes(&self, sub: &str) -> Result<Vec<(String, String)>, Error> {
        Ok(
            sqlx::query_as("SELECT name, value FROM user_attributes WHERE sub = $1 ORDER BY name")
                .bind(sub)
                .fetch_all(&self.db)
                .await?,
        )
    }

    /// Writes attributes and the phone number and preferred username `keys`
    /// they make (the email's does not change); false, changing nothing, when
    /// another user of the pool has one of those.
    pub(crate) async fn set_attributes(
        &self,
        sub: &str,
        attributes: &[(String, String)],
        keys: &SignInKeys,
        now: i64,
    ) -> Result<bool, Error> {
        let mut tx = self.db.begin().await?;
        put_attributes(&mut tx, sub, attributes).await?;
        let update = sqlx::query(
            "UPDATE users SET phone_key = $1, preferred_key = $2, updated_at = $3 WHERE sub = $4",
        )
        .bind(&keys.phone_number)
        .bind(&keys.preferred_username)
        .bind(now)
        .bind(sub)
        .execute(&mut *tx)
        .await;
        if !super::inserted(update)? {
            return Ok(false);
        }
        tx.commit().await?;
        Ok(true)
    }

    /// Sets a password chosen by an administrator (`force_change`: a temporary
    /// one) or by the user at a `NEW_PASSWORD_REQUIRED` challenge. Either way the
    /// account counts as confirmed, as Cognito does.
    pub(crate) async fn set_password(
        &self,
        sub: &str,
        credential: &super::Credential,
        force_change: bool,
        now: i64,
    ) -> Result<(), Error> {
        sqlx::query(
            "UPDATE users SET password_hash = $1, srp_verifier = $2, force_password_change = $3,
                password_reset_required = FALSE, confirmed = TRUE, passwordless = $4, updated_at = $5
             WHERE sub = $6",
        )
        .bind(&credential.password_hash)
        .bind(&credential.srp_verifier)
        .bind(force_change)
        .bind(credential.passwordless)
        .bind(now)
        .bind(sub)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    /// The SRP verifier of a password set before verifiers were made, made at
    /// its next sign-in: only where the user still has that password.
    pub(crate) async fn add_srp_verifier(
        &self,
        sub: &str,
        credential: &super::Credential,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE users SET srp_verifier = $1 WHERE sub = $2 AND password_hash = $3")
            .bind(&credential.srp_verifier)
            .bind(sub)
            .bind(&credential.password_hash)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Disabling a user also signs them out everywhere.
    pub(crate) async fn set_enabled(
        &self,
        sub: &str,
        enabled: bool,
        now: i64,
    ) -> Result<(), Error> {
        sqlx::query("UPDATE users SET enabled = $1, updated_at = $2 WHERE sub = $3")
            .bind(enabled)
            .bind(now)
            .bind(sub)
            .execute(&self.db)
            .await?;
        if !enabled {
            self.sign_out_everywhere(sub, now).await?;
        }
        Ok(())
    }

    /// Signs the user out of every app and the hosted UI.
    pub(crate) async fn sign_out_everywhere(&self, sub: &str, now: i64) -> Result<(), Error> {
        let mut tx = self.db.begin().await?;
        super::end_sessions(&mut tx, sub, now).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Deletes the user and, by cascade, everything that refers to them.
    pub(crate) async fn delete_user(&self, sub: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM users WHERE sub = $1")
            .bind(sub)
            .execute(&self.db)
            .await?;
        Ok(())
    }

    /// Users in `sub` order, after the sub `after`, matching `filter`.
    pub(crate) async fn list_users(
        &self,
        filter: Option<&UserFilter>,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Page<User>, Error> {
        // Placeholders: $1 after, $2 the limit, $3 the pool, then the filter's own
        // (see `filter_condition`).
        let condition = filter.map_or("TRUE".to_owned(), filter_condition);
        let sql = [
            select_users!("WHERE u.sub > $1 AND u.pool_id = $3 AND "),
            &condition,
            " ORDER BY u.sub LIMIT $2",
        ]
        .concat();
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(after.unwrap_or(""))
            .bind(limit + 1)
            .bind(&*self.pool_id);
        if let Some(filter) = filter {
            query = query.bind(filter.value.clone());
            if let FilterField::Attribute(name) = filter.field {
                query = query.bind(name);
            }
        }
        let users = query.fetch_all(&self.db).await?;
        Ok(page(users, limit))
    }

    pub(crate) async fn users_in_group(
        &self,
        group: &str,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Page<User>, Error> {
        let users = sqlx::query_as(select_users!(
            "JOIN user_groups ug ON ug.sub = u.sub
             WHERE ug.pool_id = $4 AND ug.group_name = $1 AND u.sub > $2 ORDER BY u.sub LIMIT $3"
        ))
        .bind(group)
        .bind(after.unwrap_or(""))
        .bind(limit + 1)
        .bind(&*self.pool_id)
        .fetch_all(&self.db)
        .await?;
        Ok(page(users, limit))
    }

    // --- groups ---

    /// Creates a group; false if one of that name exists.
    pub(crate) async fn create_group(&self, group: &Group) -> Result<bool, Error> {
        let inserted = sqlx::query(
            "INSERT INTO groups (pool_id, name, description, precedence, role_arn, created_at, updated_at)
             VALUES ($7, $1, $2, $3, $4, $5, $6) ON CONFLICT (pool_id, name) DO NOTHING",
        )
        .bind(&group.name)
        .bind(&group.description)
        .bind(group.precedence)
        .bind(&group.role_arn)
        .bind(group.created_at)
        .bind(group.updated_at)
        .bind(&*self.pool_id)
        .execute(&self.db)
        .await?;
        Ok(inserted.rows_affected() == 1)
    }

    /// Replaces what `changes` gives of a group's description, precedence and
    /// role; the group as it now is, or None if there is none of that name.
    pub(crate) async fn update_group(
        &self,
        name: &str,
        changes: &GroupChanges,
        now: i64,
    ) -> Result<Option<Group>, Error> {
        Ok(sqlx::query_as(
            "UPDATE groups SET description = COALESCE($1, description),
                               precedence = COALESCE($2, precedence),
                               role_arn = COALESCE($3, role_arn),
                               updated_at = $4
             WHERE pool_id = $6 AND name = $5
             RETURNING name, description, precedence, role_arn, created_at, updated_at",
        )
        .bind(&changes.description)
        .bind(changes.precedence)
        .bind(&changes.role_arn)
        .bind(now)
        .bind(name)
        .bind(&*self.pool_id)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Deletes a group (its memberships go with it); false if there was none.
    pub(crate) async fn delete_group(&self, name: &str) -> Result<bool, Error> {
        let deleted = sqlx::query("DELETE FROM groups WHERE pool_id = $1 AND name = $2")
            .bind(&*self.pool_id)
            .bind(name)
            .execute(&self.db)
            .await?;
        Ok(deleted.rows_affected() == 1)
    }

    pub(crate) async fn group(&self, name: &str) -> Result<Option<Group>, Error> {
        Ok(sqlx::query_as(
            "SELECT name, description, precedence, role_arn, created_at, updated_at FROM groups
             WHERE pool_id = $1 AND name = $2",
        )
        .bind(&*self.pool_id)
        .bind(name)
        .fetch_optional(&self.db)
        .await?)
    }

    /// Groups by name, after the name `after`.
    pub(crate) async fn list_groups(
        &self,
        after: Option<&str>,
        limit: i64,
    ) -> Result<Page<Group>, Error> {
        let groups = sqlx::query_as(
            "SELECT name, description, precedence, role_arn, created_at, updated_at FROM groups
             WHERE pool_id = $3 AND name > $1 ORDER BY name LIMIT $2",
        )
        .bind(after.unwrap_or(""))
        .bind(limit + 1)
        .bind(&*self.pool_id)
        .fetch_all(&self.db)
        .await?;
        Ok(page(groups, limit))
    }

    /// The user's groups in full, by precedence as [`Store::groups`] lists their names.
    pub(crate) async fn groups_of(&self, sub: &str) -> Result<Vec<Group>, Error> {
        Ok(sqlx::query_as(
            "SELECT g.name, g.description, g.precedence, g.role_arn, g.created_at, g.updated_at
             FROM user_groups ug JOIN groups g ON g.pool_id = ug.pool_id AND g.name = ug.group_name
             WHERE ug.sub = $1 ORDER BY g.precedence IS NULL, g.precedence, g.name",
        )
        .bind(sub)
        .fetch_all(&self.db)
        .await?)
    }

    pub(crate) async fn add_to_group(&self, sub: &str, group: &str) -> Result<(), Error> {
        sqlx::query(
            "INSERT INTO user_groups (sub, pool_id, group_name) VALUES ($1, $2, $3)
             ON CONFLICT DO NOTHING",
        )
        .bind(sub)
        .bind(&*self.pool_id)
        .bind(group)
        .execute(&self.db)
        .await?;
        Ok(())
    }

    pub(crate) async fn remove_from_group(&self, sub: &str, group: &str) -> Result<(), Error> {
        sqlx::query("DELETE FROM user_groups WHERE sub = $1 AND group_name = $2")
            .bind(sub)
            .bind(group)
            .execute(&self.db)
            .await?;
        Ok(())
    }
}

/// The SQL condition of `filter`, made of fixed fragments only: the value is
/// placeholder $4 and an attribute's name $5, both bound by the caller.
fn filter_condition(filter: &UserFilter) -> String {
    let field = match filter.field {
        FilterField::Sub => "u.sub",
        FilterField::Email => "u.email",
        FilterField::UserStatus => {
            "(CASE WHEN u.confirmed = FALSE THEN 'UNCONFIRMED'
                   WHEN u.password_reset_required = TRUE THEN 'RESET_REQUIRED'
                   WHEN u.force_password_change = TRUE THEN 'FORCE_CHANGE_PASSWORD'
                   ELSE 'CONFIRMED' END)"
        }
        FilterField::Enabled => "(CASE WHEN u.enabled = TRUE THEN 'Enabled' ELSE 'Disabled' END)",
        FilterField::Attribute(_) => {
            "(SELECT a.value FROM user_attributes a WHERE a.sub = u.sub AND a.name = $5)"
        }
    };
    if filter.prefix {
        format!("substr({field}, 1, length($4)) = $4")
    } else {
        format!("{field} = $4")
    }
}

/// Sets each attribute; an empty value deletes it, as in Cognito.
pub(super) async fn put_attributes(
    tx: &mut super::Transaction<'_>,
    sub: &str,
    attributes: &[(String, String)],
) -> Result<(), Error> {
    for (name, value) in attributes {
        if value.is_empty() {
            sqlx::query("DELETE FROM user_attributes WHERE sub = $1 AND name = $2")
                .bind(sub)
                .bind(name)
                .execute(&mut **tx)
                .await?;
        } else {
            sqlx::query(
                "INSERT INTO user_attributes (sub, name, value) VALUES ($1, $2, $3)
                 ON CONFLICT (sub, name) DO UPDATE SET value = excluded.value",
            )
            .bind(sub)
            .bind(name)
            .bind(value)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
