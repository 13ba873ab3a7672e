//! The administrator's operations on users and groups, below every surface
//! that offers them: the JSON API's Admin* operations, [`UserPool::seed_user`]
//! and `userpool users import`. Users created here are confirmed at once, with
//! a password of their own or a temporary one they must change at first
//! sign-in; imported ones keep the state they had. (Not to be confused with
//! `store::directory`, the queries these run.)

use crate::accounts::{self, Refusal};
use crate::error::Error;
use crate::store::{Group, GroupChanges, User};
use crate::{UserPool, password, secrets};

/// Whether a password an administrator sets is the user's own, or temporary
/// (`FORCE_CHANGE_PASSWORD`: replaced at the next sign-in).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum PasswordUse {
    Permanent,
    Temporary,
}

impl PasswordUse {
    fn force_change(self) -> bool {
        self == PasswordUse::Temporary
    }
}

/// A confirmed user about to be created.
pub(crate) struct NewUser<'a> {
    /// A username of the user's own (pools with plain usernames, folded as
    /// `pools::Naming::username_key` says), or None where the email is the username.
    pub(crate) username: Option<&'a str>,
    /// As the store keeps it: the surfaces normalize it (`accounts::valid_email`).
    pub(crate) email: Option<&'a str>,
    /// Checked against the policy by the surfaces that check it.
    pub(crate) password: &'a str,
    pub(crate) password_use: PasswordUse,
    pub(crate) attributes: &'a [(String, String)],
}

/// Creates a confirmed user; returns their sub, or None (changing nothing)
/// when the username or the address has an account. They are looked up before an
/// Argon2 hash is spent on the password; that is only the common case: of
/// concurrent creations the store lets one win.
pub(crate) async fn create_user(
    pool: &UserPool,
    new: &NewUser<'_>,
    now: i64,
) -> Result<Option<String>, Error> {
    let store = pool.store();
    let taken = pool
        .pool()
        .naming()
        .new_user(new.username, new.email, new.attributes);
    if store.user_by_username(&taken).await?.is_some() {
        return Ok(None);
    }
    let sub = secrets::uuid()?;
    let username = new.username.unwrap_or(&sub).to_owned();
    let credential = accounts::credential(pool, &username, new.password).await?;
    let user = User {
        username,
        sub,
        email: new.email.map(str::to_owned),
        password_hash: credential.password_hash,
        srp_verifier: Some(credential.srp_verifier),
        confirmed: true,
        enabled: true,
        force_password_change: new.password_use.force_change(),
        password_reset_required: false,
        passwordless: false,
        external_provider: false,
        created_at: now,
        updated_at: now,
    };
    let created = store
        .insert_user(&user, &taken.keys, new.attributes, &[], None)
        .await?;
    Ok(created.then_some(user.sub))
}

/// Gives `user` a new temporary password, already checked against the policy
/// (a new invitation to someone who has not signed in yet).
pub(crate) async fn renew_temporary_password(
    pool: &UserPool,
    user: &User,
    temporary: &str,
    now: i64,
) -> Result<(), Error> {
    let credential = accounts::credential(pool, &user.username, temporary).await?;
    pool.store()
        .set_password(
            &user.sub,
            &credential,
            PasswordUse::Temporary.force_change(),
            now,
        )
        .await
}

/// Sets a password after the policy check: one an administrator chose, or
/// the one a user chose at a `NEW_PASSWORD_REQUIRED` challenge. The failed
/// sign-ins of the old password no longer count.
pub(crate) async fn set_password(
    pool: &UserPool,
    user: &User,
    new_password: &str,
    password_use: PasswordUse,
    now: i64,
) -> Result<Result<(), Refusal>, Error> {
    if let Err(policy) = password::check_policy(new_password, pool.pool().password_policy()) {
        return Ok(Err(policy.into()));
    }
    let credential = accounts::credential(pool, &user.username, new_password).await?;
    pool.store()
        .set_password(&user.sub, &credential, password_use.force_change(), now)
        .await?;
    accounts::forget_login_failures(pool, &user.sub).await?;
    Ok(Ok(()))
}

/// Creates a group; false, changing nothing, if one of that name exists.
pub(crate) async fn create_group(pool: &UserPool, group: &Group) -> Result<bool, Error> {
    pool.store().create_group(group).await
}

/// Changes what `changes` gives of group `name`; the group as it now is, or
/// None if there is none of that name.
pub(crate) async fn update_group(
    pool: &UserPool,
    name: &str,
    changes: &GroupChanges,
    now: i64,
) -> Result<Option<Group>, Error> {
    pool.store().update_group(name, changes, now).await
}

/// A group named `name` as created now, with no description, precedence or role.
pub(crate) fn new_group(name: String, now: i64) -> Group {
    Group {
        name,
        description: None,
        precedence: None,
        role_arn: None,
        created_at: now,
        updated_at: now,
    }
}

/// Puts the user in each of `groups`, creating the groups that do not exist
/// yet (with no description or precedence).
pub(crate) async fn add_to_groups(
    pool: &UserPool,
    sub: &str,
    groups: &[&str],
    now: i64,
) -> Result<(), Error> {
    for group in groups {
        create_group(pool, &new_group((*group).to_owned(), now)).await?;
        add_to_group(pool, sub, group).await?;
    }
    Ok(())
}

/// Puts the user in an existing group (again: no change).
pub(crate) async fn add_to_group(pool: &UserPool, sub: &str, group: &str) -> Result<(), Error> {
    pool.store().add_to_group(sub, group).await
}

pub(crate) async fn remove_from_group(
    pool: &UserPool,
    sub: &str,
    group: &str,
) -> Result<(), Error> {
    pool.store().remove_from_group(sub, group).await
}

/// Loads a user exported from another pool (`transfer`), password hash,
/// attributes and group memberships included, in one statement; false,
/// changing nothing, when the pool has the sub or the email already.
pub(crate) async fn import_user(
    pool: &UserPool,
    user: &User,
    attributes: &[(String, String)],
    groups: &[String],
) -> Result<bool, Error> {
    let keys = pool.pool().naming().keys(user.email.as_deref(), attributes);
    pool.store()
        .insert_user(user, &keys, attributes, groups, None)
        .await
}
