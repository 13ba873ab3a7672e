//! The account lifecycle behind the hosted UI's forms: sign-up, confirmation with
//! a mailed 6-digit code, resending it, password sign-in with a temporary
//! lockout, and a forgotten password reset with a mailed code. Messages are
//! Cognito's; none of them reveals whether an email address has an account:
//! a name without one is refused after the same work (a decoy Argon2
//! verification), locks out at the same count, and gets decoy reset codes
//! whose guesses run out as real ones do.

use crate::error::Error;
use crate::mail::Message;
use crate::pools::{MfaConfiguration, Naming, Recovery};
use crate::store::{CodePurpose, Credential, Issuance, NewCode, User, VerificationCode};
use crate::triggers::authentication::{self as sign_in_triggers, FinalStatus, Migrating};
use crate::triggers::event::{Caller, Metadata};
use crate::triggers::message::MessageSource;
use crate::triggers::sign_up::{self as sign_up_triggers, Confirmed, SignUpSource};
use crate::{UserPool, mail, password, secrets, srp};

/// Why an account operation was refused, worded as Cognito words it. The
/// hosted UI shows the message; the JSON API maps each to its exception.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub(crate) enum Refusal {
    #[error("Invalid email address format.")]
    InvalidEmail,
    #[error(transparent)]
    Password(#[from] password::PolicyError),
    #[error("Invalid verification code provided, please try again.")]
    WrongCode,
    #[error("Invalid code provided, please request a code again.")]
    ExpiredCode,
    /// Too many wrong guesses: this code is dead, a new one must be requested.
    #[error("Attempt limit exceeded, please request a code again.")]
    CodeAttemptsExceeded,
    /// Also for unknown users, so sign-in does not reveal who has an account.
    #[error("Incorrect username or password.")]
    IncorrectCredentials,
    #[error("Password attempts exceeded. Please wait a few minutes before trying again.")]
    LockedOut,
    /// Only said to someone who knows the password.
    #[error("User is disabled.")]
    Disabled,
    /// A challenge's session (`NEW_PASSWORD_REQUIRED`, `USER_AUTH`'s) that is
    /// forged, expired, spent, or another client's or user's.
    #[error("Invalid session for the user, session is expired.")]
    SessionExpired,
    /// The pool's `AdminCreateUserConfig.AllowAdminCreateUserOnly`.
    #[error("SignUp is not permitted for this user pool.")]
    SignUpNotPermitted,
    /// Older than the policy's `TemporaryPasswordValidityDays`: only said to someone who knows it.
    #[error("Temporary password has expired and must be reset by an administrator.")]
    TemporaryPasswordExpired,
}

/// Sign-up codes live 24 hours, password-reset codes one hour (Cognito's values).
const SIGN_UP_CODE_LIFETIME_SECONDS: i64 = 24 * 3600;
const RESET_CODE_LIFETIME_SECONDS: i64 = 3600;
/// Wrong guesses after which a code is dead and a new one must be requested.
pub(crate) const CODE_MAX_ATTEMPTS: i64 = 5;
/// At most this many codes are mailed to one user per window, so that asking
/// for new codes cannot buy unlimited guesses (5 × 5 per hour of 10^6 codes).
const CODES_PER_WINDOW: i64 = 5;
pub(crate) const CODE_WINDOW_SECONDS: i64 = 3600;
/// Failed passwords allowed before the account locks for a while.
const FREE_LOGIN_FAILURES: i64 = 5;
/// The lockout doubles from one minute with each further failure, up to 15 minutes.
const MAX_LOCKOUT_SECONDS: i64 = 900;
/// Failed sign-ins are forgotten a day after the last one (the store prunes
/// them), for accounts and unknown names alike.
pub(crate) const LOGIN_FAILURE_MEMORY_SECONDS: i64 = 86_400;

/// Emails are case-insensitive usernames here, as for a Cognito pool with email sign-in.
pub(crate) fn normalize_email(input: &str) -> String {
    input.trim().to_lowercase()
}

/// A deliberately loose check (one `@`, something on both sides, a dot in the
/// domain): the confirmation code proves the address anyway.
fn email_is_plausible(email: &str) -> bool {
    email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        })
}

fn lockout_seconds(failures: i64) -> i64 {
    if failures < FREE_LOGIN_FAILURES {
        return 0;
    }
    let doublings = u32::try_from(failures - FREE_LOGIN_FAILURES)
        .unwrap_or(u32::MAX)
        .min(10);
    (60_i64 << doublings).min(MAX_LOCKOUT_SECONDS)
}

/// The user change saved together with a fresh code.
enum CodeFor<'a> {
    Creation {
        /// None where the email is the username (the username is the sub).
        username: Option<&'a str>,
        email: Option<&'a str>,
        credential: &'a Credential,
        attributes: &'a [(String, String)],
    },
    /// Signing up again before confirming: the new password replaces the old.
    SignUpAgain {
        credential: &'a Credential,
    },
    /// Another sign-up code for an unconfirmed user.
    Resend,
    PasswordReset,
    /// A reset code, and the password invalidated (AdminResetUserPassword).
    AdministratorReset,
}

impl CodeFor<'_> {
    /// What CustomMessage is told the code is for.
    fn message_source(&self) -> MessageSource {
        match self {
            CodeFor::Creation { .. } | CodeFor::SignUpAgain { .. } => MessageSource::SignUp,
            CodeFor::Resend => MessageSource::ResendCode,
            CodeFor::PasswordReset | CodeFor::AdministratorReset => MessageSource::ForgotPassword,
        }
    }

    fn purpose(&self) -> CodePurpose {
        match self {
            CodeFor::PasswordReset | CodeFor::AdministratorReset => CodePurpose::PasswordReset,
            CodeFor::Creation { .. } | CodeFor::SignUpAgain { .. } | CodeFor::Resend => {
                CodePurpose::SignUp
            }
        }
    }
}

/// When the window of `previous` (one whose codes were all issued) reopens.
fn window_reopens(previous: Option<Issuance>, now: i64) -> i64 {
    previous.map_or(now, |p| p.window_start + CODE_WINDOW_SECONDS)
}

/// The issuance record of one more code, or None when the user has had
/// `CODES_PER_WINDOW` codes in the current window.
fn next_issuance(previous: Option<Issuance>, now: i64) -> Option<Issuance> {
    match previous {
        Some(p) if p.window_start > now - CODE_WINDOW_SECONDS => {
            (p.issued_in_window < CODES_PER_WINDOW).then_some(Issuance {
                window_start: p.window_start,
                issued_in_window: p.issued_in_window + 1,
            })
        }
        _ => Some(Issuance {
            window_start: now,
            issued_in_window: 1,
        }),
    }
}

/// A code about to be issued, and what the store keeps of it.
pub(crate) struct FreshCode {
    pub(crate) code: String,
    pub(crate) hash: String,
    pub(crate) expires_at: i64,
    pub(crate) issuance: Issuance,
}

impl FreshCode {
    /// One more code, valid for `lifetime` seconds, or None when `previous`
    /// shows that the window's codes were all issued.
    pub(crate) fn next(
        previous: Option<Issuance>,
        lifetime: i64,
        now: i64,
    ) -> Result<Option<FreshCode>, Error> {
        FreshCode::of_length(previous, lifetime, now, 6)
    }

    /// As [`FreshCode::next`], of `digits` digits.
    pub(crate) fn of_length(
        previous: Option<Issuance>,
        lifetime: i64,
        now: i64,
        digits: u32,
    ) -> Result<Option<FreshCode>, Error> {
        let Some(issuance) = next_issuance(previous, now) else {
            return Ok(None);
        };
        let code = secrets::digit_code(digits)?;
        Ok(Some(FreshCode {
            hash: secrets::digest(&code),
            code,
            expires_at: now + lifetime,
            issuance,
        }))
    }

    fn record(&self, purpose: CodePurpose) -> NewCode<'_> {
        NewCode {
            code_hash: &self.hash,
            purpose,
            expires_at: self.expires_at,
            issuance: self.issuance,
        }
    }
}

fn lifetime(purpose: CodePurpose) -> i64 {
    match purpose {
        CodePurpose::SignUp => SIGN_UP_CODE_LIFETIME_SECONDS,
        CodePurpose::PasswordReset => RESET_CODE_LIFETIME_SECONDS,
    }
}

/// Judges a code submitted against the `stored` one: expired (or none), dead
/// after too many wrong guesses, wrong (the caller counts the guess), or right.
pub(crate) fn judge_code(
    stored: Option<&VerificationCode>,
    code: &str,
    now: i64,
) -> Result<(), Refusal> {
    // An expired code answers as no code at all, so pruning expired decoys shows nothing.
    let Some(stored) = stored.filter(|stored| stored.expires_at > now) else {
        return Err(Refusal::ExpiredCode);
    };
    if stored.attempts >= CODE_MAX_ATTEMPTS {
        return Err(Refusal::CodeAttemptsExceeded);
    }
    let submitted = secrets::digest(code.trim());
    if secrets::equal(submitted.as_bytes(), stored.code_hash.as_bytes()) {
        Ok(())
    } else {
        Err(Refusal::WrongCode)
    }
}

/// Creates a code, saves it (with the user change `for_`), and sends it `to`
/// an address or phone number (a user without one gets no code: an
/// administrator confirms them).
/// Over the issuance limit, or when a creation finds the name taken (by a
/// concurrent sign-up), nothing changes and nothing is sent.
async fn send_new_code(
    pool: &UserPool,
    caller: Caller<'_>,
    sub: &str,
    to: Option<&str>,
    for_: CodeFor<'_>,
    now: i64,
) -> Result<Issued, Error> {
    let store = pool.store();
    let previous = store.code_issuance(sub).await?;
    let purpose = for_.purpose();
    let Some(fresh) = FreshCode::next(previous, lifetime(purpose), now)? else {
        tracing::warn!(%sub, "code limit reached: no new code mailed");
        let until = window_reopens(previous, now);
        return Ok(Issued::OverLimit { until });
    };
    let new = fresh.record(purpose);
    // Written before anything is stored: a CustomMessage trigger that fails changes nothing.
    let message = match to {
        Some(to) => Some(code_message(pool, caller, sub, &for_, to, &fresh.code, now).await?),
        None => None,
    };
    match for_ {
        CodeFor::Creation {
            username,
            email,
            credential,
            attributes,
        } => {
            let user = new_user(sub, username, email, credential, false, now);
            let keys = pool.pool().naming().keys(email, attributes);
            if !store
                .insert_user(&user, &keys, attributes, &[], Some(&new))
                .await?
            {
                return Ok(Issued::NameTaken);
            }
        }
        CodeFor::SignUpAgain { credential } => {
            store
                .reset_unconfirmed_user(sub, credential, &new, now)
                .await?;
            // A new password: the old one's failures no longer count.
            forget_login_failures(pool, sub).await?;
        }
        CodeFor::Resend | CodeFor::PasswordReset => store.replace_code(sub, &new).await?,
        CodeFor::AdministratorReset => store.require_password_reset(sub, &new, now).await?,
    }
    if let (Some(to), Some(message)) = (to, message) {
        mail::send(pool, to, &message).await?;
    }
    Ok(Issued::Sent)
}

/// A new account (`username` None: the sub is the username).
fn new_user(
    sub: &str,
    username: Option<&str>,
    email: Option<&str>,
    credential: &Credential,
    confirmed: bool,
    now: i64,
) -> User {
    User {
        sub: sub.to_owned(),
        username: username.unwrap_or(sub).to_owned(),
        email: email.map(str::to_owned),
        password_hash: credential.password_hash.clone(),
        srp_verifier: Some(credential.srp_verifier.clone()),
        confirmed,
        enabled: true,
        force_password_change: false,
        password_reset_required: false,
        passwordless: credential.passwordless,
        external_provider: false,
        created_at: now,
        updated_at: now,
    }
}

/// The message carrying `code` for `sub` to `to`: the template's, or the
/// CustomMessage trigger's (told of the account about to be created, for a creation).
async fn code_message(
    pool: &UserPool,
    caller: Caller<'_>,
    sub: &str,
    for_: &CodeFor<'_>,
    to: &str,
    code: &str,
    now: i64,
) -> Result<Message, Error> {
    let standard = mail::verification(pool.pool(), to, code);
    let source = for_.message_source();
    if let CodeFor::Creation {
        username,
        email,
        credential,
        attributes,
    } = for_
    {
        let user = new_user(sub, *username, *email, credential, false, now);
        let mut told = vec![("sub".to_owned(), sub.to_owned())];
        if let Some(email) = email {
            told.push(("email".to_owned(), (*email).to_owned()));
            if attribute(attributes, "email_verified").is_none() {
                told.push(("email_verified".to_owned(), "false".to_owned()));
            }
        }
        told.extend(attributes.iter().cloned());
        let recipient = (&user, Some(told.as_slice()));
        return mail::code_message(pool, caller, source, recipient, to, code, standard).await;
    }
    match pool.store().user(sub).await? {
        Some(user) => {
            mail::code_message(pool, caller, source, (&user, None), to, code, standard).await
        }
        None => Ok(standard),
    }
}

/// What asking for a new code did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Issued {
    Sent,
    /// The window's codes were all issued already (`CODES_PER_WINDOW`); the
    /// next may be had from `until` on.
    OverLimit {
        until: i64,
    },
    /// A creation found the name taken.
    NameTaken,
}

/// The value of the attribute `name` among `attributes`.
pub(crate) fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, value)| value.as_str())
}

/// Where a new user's confirmation code goes, if anywhere: by mail, or by
/// text message (to the outbox), where the pool verifies that attribute
/// (`AutoVerifiedAttributes`); without, an administrator confirms them.
pub(crate) fn sign_up_code_destination<'a>(
    pool: &UserPool,
    email: Option<&'a str>,
    attributes: &'a [(String, String)],
) -> Option<&'a str> {
    email
        .filter(|_| pool.pool().verifies("email"))
        .or(attribute(attributes, "phone_number").filter(|_| pool.pool().verifies("phone_number")))
}

/// Where a user's codes go: their email address, or else their phone number
/// (a text message, which lands in the outbox like mail).
async fn code_destination(pool: &UserPool, user: &User) -> Result<Option<String>, Error> {
    if let Some(email) = &user.email {
        return Ok(Some(email.clone()));
    }
    let attributes = pool.store().attributes(&user.sub).await?;
    Ok(attribute(&attributes, "phone_number").map(str::to_owned))
}

/// Where a code for `name` would have gone, for an answer about a name with
/// no account (or nowhere to send a code): the name itself where it is an
/// address or a phone number, else an address made up from it with the
/// server's decoy key, the same each time, as a real one would be.
pub(crate) fn decoy_destination(pool: &UserPool, name: &str) -> String {
    if let Ok(email) = valid_email(name) {
        return email;
    }
    if crate::pools::plausible_phone_number(name.trim()) {
        return name.trim().to_owned();
    }
    let folded = pool.pool().naming().username_key(name);
    let letters = pool.decoy_key().letters(&pool.pool().id, &folded, 2);
    let (local, domain) = letters.split_at(1);
    format!("{local}@{domain}.example")
}

/// The user `name` signs in as in this pool: by username, or by email where the email is a sign-in name.
pub(crate) async fn user_named(pool: &UserPool, name: &str) -> Result<Option<User>, Error> {
    let lookup = pool.pool().naming().lookup(name);
    pool.store().user_by_username(&lookup).await
}

/// What a password reset does for an address without a confirmed account: a
/// decoy code, stored and rationed like a real one but mailed to nobody, so
/// that the guesses at it (`confirm_forgot_password`) are answered as for an account.
/// Over the limit it says so, as for an account.
async fn issue_decoy_code(pool: &UserPool, name: &str, now: i64) -> Result<Issued, Error> {
    let name_hash = name_key(pool, &pool.pool().naming().username_key(name));
    let store = pool.store();
    let previous = store.decoy_issuance(&name_hash).await?;
    let purpose = CodePurpose::PasswordReset;
    let Some(fresh) = FreshCode::next(previous, lifetime(purpose), now)? else {
        let until = window_reopens(previous, now);
        return Ok(Issued::OverLimit { until });
    };
    store
        .put_decoy_code(&name_hash, &fresh.record(purpose))
        .await?;
    Ok(Issued::Sent)
}

/// Whose pending code a request is about.
#[derive(Clone, Copy)]
enum CodeHolder<'a> {
    /// An account's, by sub.
    Account(&'a str),
    /// The decoy of an address without an account that could have the code, by digest.
    Decoy(&'a str),
}

/// Checks `code` against the holder's pending code for `purpose`; a wrong
/// guess is counted, and a code guessed wrong too often or expired is dead.
async fn check_code(
    pool: &UserPool,
    holder: CodeHolder<'_>,
    purpose: CodePurpose,
    code: &str,
    now: i64,
) -> Result<Result<(), Refusal>, Error> {
    let store = pool.store();
    let stored = match holder {
        CodeHolder::Account(sub) => store.code(sub, purpose).await?,
        CodeHolder::Decoy(name_hash) => store.decoy_code(name_hash).await?,
    };
    let judged = judge_code(stored.as_ref(), code, now);
    if judged == Err(Refusal::WrongCode) {
        match holder {
            CodeHolder::Account(sub) => store.count_code_attempt(sub).await?,
            CodeHolder::Decoy(name_hash) => store.count_decoy_attempt(name_hash).await?,
        }
    }
    Ok(judged)
}

/// The address, normalized, if it can be an account's; else why not.
pub(crate) fn valid_email(input: &str) -> Result<String, Refusal> {
    let email = normalize_email(input);
    if email_is_plausible(&email) {
        Ok(email)
    } else {
        Err(Refusal::InvalidEmail)
    }
}

/// Who asks for a sign-up, which decides what an address with an account gets.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Via {
    /// The hosted UI, which never says whether an address has an account: a
    /// confirmed one gets a notice by mail, an unconfirmed one the new password
    /// and a new code (the one mailed last confirms it).
    HostedUi,
    /// Cognito's `SignUp`, which answers `UsernameExistsException` for any
    /// account, confirmed or not, and leaves it as it was.
    Api,
}

/// What a sign-up that passed the checks did.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SignedUp {
    /// A new account, with this sub: unconfirmed, its code mailed, or confirmed
    /// at once by the PreSignUp trigger.
    Created { sub: String, confirmed: bool },
    /// The address had an account already (perhaps created by a concurrent
    /// sign-up an instant before), dealt with as `Via` says.
    Exists,
}

/// Who signs up: where the email is the username, an address; in pools with
/// plain usernames, a username (as `pools::Naming::username_key` folds it)
/// and perhaps an address, where the code goes.
pub(crate) struct Applicant<'a> {
    pub(crate) username: Option<&'a str>,
    pub(crate) email: Option<&'a str>,
    /// `ValidationData`, for the PreSignUp trigger.
    pub(crate) validation_data: &'a Metadata,
}

/// Signs up the `applicant`. For the hosted UI, `Ok(Ok(_))` means "go and confirm",
/// whatever the address's state. Of concurrent sign-ups for one new name
/// exactly one creates the account; the others find it exists and change nothing.
/// A new account gets `attributes` in the transaction that creates it.
pub(crate) async fn sign_up(
    pool: &UserPool,
    caller: Caller<'_>,
    applicant: &Applicant<'_>,
    password: Option<&str>,
    attributes: &[(String, String)],
    via: Via,
    now: i64,
) -> Result<Result<SignedUp, Refusal>, Error> {
    if pool.pool().settings.admin_creates_users_only() {
        return Ok(Err(Refusal::SignUpNotPermitted));
    }
    let email = match applicant.email.map(valid_email).transpose() {
        Ok(email) => email,
        Err(refusal) => return Ok(Err(refusal)),
    };
    let email = email.as_deref();
    let name = pool
        .pool()
        .naming()
        .new_user(applicant.username, email, attributes);
    // Where attributes are the names, one of them is (new_user_names checked which).
    if applicant.username.is_none() && name.keys.email.is_none() && name.keys.phone_number.is_none()
    {
        return Ok(Err(Refusal::InvalidEmail));
    }
    if let Some(password) = password
        && let Err(policy) = password::check_policy(password, pool.pool().password_policy())
    {
        return Ok(Err(policy.into()));
    }
    let existing = pool.store().user_by_username(&name).await?;
    let sub = match &existing {
        Some(user) => user.sub.clone(),
        None => secrets::uuid()?,
    };
    // Hashed in every case, so the three outcomes take the same time.
    let username = existing
        .as_ref()
        .map(|user| user.username.as_str())
        .or(applicant.username)
        .unwrap_or(&sub);
    let credential = match password {
        Some(password) => credential(pool, username, password).await?,
        None => no_password(pool, username).await?,
    };
    match existing {
        Some(_) if via == Via::Api => {}
        Some(user) if user.confirmed => {
            if let Some(email) = email {
                mail::send(pool, email, &mail::account_exists()).await?;
            }
        }
        Some(user) => {
            let for_ = CodeFor::SignUpAgain {
                credential: &credential,
            };
            let to = code_destination(pool, &user).await?;
            send_new_code(pool, caller, &user.sub, to.as_deref(), for_, now).await?;
        }
        None => {
            // Only a new account asks the trigger, which may refuse it (nothing is stored then).
            let mut attributes = attributes.to_vec();
            let told = sign_up_triggers::told_attributes(&attributes, email);
            let admitted = sign_up_triggers::pre_sign_up(
                pool,
                caller,
                SignUpSource::SignUp,
                &sign_up_triggers::Applicant {
                    username: applicant.username.unwrap_or(&sub),
                    attributes: &told,
                    validation_data: applicant.validation_data,
                },
            )
            .await?;
            admitted.mark_verified(&mut attributes);
            if admitted.confirm {
                let user = new_user(&sub, applicant.username, email, &credential, true, now);
                let keys = pool.pool().naming().keys(email, &attributes);
                let created = pool
                    .store()
                    .insert_user(&user, &keys, &attributes, &[], None)
                    .await?;
                if created {
                    return Ok(Ok(SignedUp::Created {
                        sub,
                        confirmed: true,
                    }));
                }
                return Ok(Ok(SignedUp::Exists));
            }
            let for_ = CodeFor::Creation {
                username: applicant.username,
                email,
                credential: &credential,
                attributes: &attributes,
            };
            let code_to = sign_up_code_destination(pool, email, &attributes);
            if send_new_code(pool, caller, &sub, code_to, for_, now).await? == Issued::Sent {
                return Ok(Ok(SignedUp::Created {
                    sub,
                    confirmed: false,
                }));
            }
        }
    }
    Ok(Ok(SignedUp::Exists))
}

/// What a request for another sign-up code did. Pages say the same in every
/// case; the JSON API tells `LEGACY` clients more.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Resent {
    /// To this address or phone number (None: the user has neither).
    Sent(Option<String>),
    /// The account is confirmed already: a decoy code, sent nowhere.
    AlreadyConfirmed,
    /// No account has that name: a decoy code too.
    Unknown,
    /// The window's codes were all issued (decoys are rationed alike, so this
    /// reveals nothing about the name); the next may be had from `until` on.
    OverLimit { until: i64 },
}

/// Mails a new code to an unconfirmed account; any other name gets a decoy,
/// rationed like a real code but sent nowhere.
pub(crate) async fn resend_code(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    now: i64,
) -> Result<Resent, Error> {
    let outcome = match user_named(pool, name).await? {
        Some(user) if !user.confirmed => {
            let to = code_destination(pool, &user).await?;
            let for_ = CodeFor::Resend;
            return Ok(
                match send_new_code(pool, caller, &user.sub, to.as_deref(), for_, now).await? {
                    Issued::OverLimit { until } => Resent::OverLimit { until },
                    Issued::Sent | Issued::NameTaken => Resent::Sent(to),
                },
            );
        }
        Some(_) => Resent::AlreadyConfirmed,
        None => Resent::Unknown,
    };
    Ok(match issue_decoy_code(pool, name, now).await? {
        Issued::OverLimit { until } => Resent::OverLimit { until },
        Issued::Sent | Issued::NameTaken => outcome,
    })
}

/// Confirms an account with its code; on success the user is signed in.
pub(crate) async fn confirm(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    code: &str,
    now: i64,
) -> Result<Result<User, Refusal>, Error> {
    let store = pool.store();
    // Unknown and already-confirmed accounts look like a wrong code.
    let Some(user) = user_named(pool, name).await?.filter(|u| !u.confirmed) else {
        return Ok(Err(Refusal::WrongCode));
    };
    if let Err(refusal) = check_code(
        pool,
        CodeHolder::Account(&user.sub),
        CodePurpose::SignUp,
        code,
        now,
    )
    .await?
    {
        return Ok(Err(refusal));
    }
    store.confirm_user(&user.sub, now).await?;
    // Without an email, the code went to the phone number: confirming proved it.
    if user.email.is_none() {
        let mut attributes = store.attributes(&user.sub).await?;
        if attribute(&attributes, "phone_number").is_some() {
            let verified = [("phone_number_verified".to_owned(), "true".to_owned())];
            attributes.extend(verified.iter().cloned());
            let keys = pool.pool().naming().keys(None, &attributes);
            store
                .set_attributes(&user.sub, &verified, &keys, now)
                .await?;
        }
    }
    let user = User {
        confirmed: true,
        ..user
    };
    // Confirmed whatever the trigger answers, as in Cognito; its failure is still the answer.
    sign_up_triggers::post_confirmation(pool, caller, Confirmed::SignUp, &user).await?;
    Ok(Ok(user))
}

/// What a password-reset request did. Pages say the same in every case; the
/// JSON API tells `LEGACY` clients more.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ResetRequest {
    /// The code went to this address or phone number.
    Sent(String),
    /// The account has nothing the pool's `AccountRecoverySetting` may send a
    /// code to (no verified address or number): a decoy code, sent nowhere.
    NoChannel,
    /// No confirmed account has that name: a decoy code too.
    Unknown,
    /// The pool's recovery is `admin_only`: nothing is sent to anyone.
    AdminOnly,
    /// The window's codes were all issued (real or decoy alike).
    OverLimit,
}

/// Sends a password-reset code to a confirmed account, where the pool's
/// `AccountRecoverySetting` says (its first verified channel); any other name
/// gets a decoy code, stored and rationed like a real one but sent nowhere.
pub(crate) async fn forgot_password(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    now: i64,
) -> Result<ResetRequest, Error> {
    let recovery = pool.pool().settings.recovery();
    if recovery.contains(&Recovery::AdminOnly) {
        return Ok(ResetRequest::AdminOnly);
    }
    let user = match user_named(pool, name).await? {
        Some(user) => Some(user),
        None => migrate(pool, caller, name, Migrating::ForgotPassword, now).await?,
    };
    let outcome = match user.filter(|u| u.confirmed) {
        Some(user) => match recovery_destination(pool, &user, &recovery).await? {
            Some(to) => {
                let for_ = CodeFor::PasswordReset;
                return Ok(
                    match send_new_code(pool, caller, &user.sub, Some(&to), for_, now).await? {
                        Issued::OverLimit { .. } => ResetRequest::OverLimit,
                        Issued::Sent | Issued::NameTaken => ResetRequest::Sent(to),
                    },
                );
            }
            None => ResetRequest::NoChannel,
        },
        None => ResetRequest::Unknown,
    };
    Ok(match issue_decoy_code(pool, name, now).await? {
        Issued::OverLimit { .. } => ResetRequest::OverLimit,
        Issued::Sent | Issued::NameTaken => outcome,
    })
}

/// AdminResetUserPassword: invalidates a confirmed user's password and sends
/// them a reset code where the pool's `AccountRecoverySetting` says; they set
/// a new password with it (`confirm_forgot_password`). Without a channel, or
/// over the code ration, nothing changes.
pub(crate) async fn reset_by_administrator(
    pool: &UserPool,
    caller: Caller<'_>,
    user: &User,
    now: i64,
) -> Result<ResetRequest, Error> {
    let recovery = pool.pool().settings.recovery();
    if recovery.contains(&Recovery::AdminOnly) || !user.confirmed {
        return Ok(ResetRequest::AdminOnly);
    }
    let Some(to) = recovery_destination(pool, user, &recovery).await? else {
        return Ok(ResetRequest::NoChannel);
    };
    let for_ = CodeFor::AdministratorReset;
    Ok(
        match send_new_code(pool, caller, &user.sub, Some(&to), for_, now).await? {
            Issued::OverLimit { .. } => ResetRequest::OverLimit,
            Issued::Sent | Issued::NameTaken => ResetRequest::Sent(to),
        },
    )
}

/// The first of `recovery`'s channels the user has verified: their email
/// address (confirming proved it), or a phone number marked verified.
async fn recovery_destination(
    pool: &UserPool,
    user: &User,
    recovery: &[Recovery],
) -> Result<Option<String>, Error> {
    let attributes = pool.store().attributes(&user.sub).await?;
    let phone = attribute(&attributes, "phone_number")
        .filter(|_| attribute(&attributes, "phone_number_verified") == Some("true"));
    Ok(recovery.iter().find_map(|mechanism| match mechanism {
        Recovery::VerifiedEmail => user
            .email
            .clone()
            .filter(|_| crate::claims::email_verified(user, &attributes)),
        Recovery::VerifiedPhoneNumber => phone.map(str::to_owned),
        Recovery::AdminOnly => None,
    }))
}

/// Sets a new password with a mailed reset code. The user is not signed in:
/// they sign in with the new password next.
pub(crate) async fn confirm_forgot_password(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    code: &str,
    new_password: &str,
    now: i64,
) -> Result<Result<(), Refusal>, Error> {
    if let Err(policy) = password::check_policy(new_password, pool.pool().password_policy()) {
        return Ok(Err(policy.into()));
    }
    // Unknown and unconfirmed accounts answer from their decoy code.
    let user = user_named(pool, name).await?.filter(|u| u.confirmed);
    let name_hash = name_key(pool, &pool.pool().naming().username_key(name));
    let holder = match &user {
        Some(user) => CodeHolder::Account(&user.sub),
        None => CodeHolder::Decoy(&name_hash),
    };
    if let Err(refusal) = check_code(pool, holder, CodePurpose::PasswordReset, code, now).await? {
        return Ok(Err(refusal));
    }
    // Nobody was told a decoy's code; one guessed right still opens nothing.
    let Some(user) = user else {
        return Ok(Err(Refusal::WrongCode));
    };
    let credential = credential(pool, &user.username, new_password).await?;
    pool.store()
        .reset_password(&user.sub, &credential, now)
        .await?;
    forget_login_failures(pool, &user.sub).await?;
    tracing::info!(sub = %user.sub, "password reset");
    sign_up_triggers::post_confirmation(pool, caller, Confirmed::ForgotPassword, &user).await?;
    Ok(Ok(()))
}

/// Forgets the failed sign-ins of the user's previous password (it was just replaced).
pub(crate) async fn forget_login_failures(pool: &UserPool, sub: &str) -> Result<(), Error> {
    pool.store()
        .clear_login_failures(&name_key(pool, sub))
        .await
}

/// What a sign-in's step proved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Proof {
    /// The password: a second factor may still be asked for (see `mfa`), and
    /// the failures counted so far stay counted until it is given.
    Password,
    /// The whole sign-in: a passkey, a mailed code, a second factor.
    Complete,
}

/// Whether the pool may ask `user` for a second factor after their password.
async fn second_factor_may_follow(pool: &UserPool, user: &User) -> Result<bool, Error> {
    Ok(match pool.pool().settings.mfa_configuration {
        MfaConfiguration::Off => false,
        MfaConfiguration::On => true,
        MfaConfiguration::Optional => !pool.store().user_mfa(&user.sub).await?.enabled().is_empty(),
    })
}

/// The result of a password sign-in.
#[derive(Debug)]
pub(crate) enum SignIn {
    Authenticated(User),
    /// Right password, but the account is not confirmed yet: a fresh code was mailed.
    NeedsConfirmation,
    /// Right (temporary) password of an account an administrator created: the
    /// user must choose a new one before getting tokens.
    NewPasswordRequired(User),
    /// Right password, but an administrator invalidated it: the user sets a
    /// new one with the code they were sent.
    PasswordResetRequired,
    Refused(Refusal),
}

/// The key of a name's failed sign-ins (or decoy code) in the store: digested,
/// so that the store keeps no name that has no account, and of the pool with
/// the name, so that a name locked out in one pool is not in another.
fn name_key(pool: &UserPool, name: &str) -> String {
    secrets::digest(&format!("{}\0{name}", pool.pool().id))
}

/// A password as the store keeps it for `username` of this pool: its Argon2id
/// hash and its SRP verifier.
pub(crate) async fn credential(
    pool: &UserPool,
    username: &str,
    password: &str,
) -> Result<Credential, Error> {
    Ok(Credential {
        password_hash: pool.hasher().hash(password).await?,
        srp_verifier: srp::stored(&pool.pool().id, username, password)?,
        passwordless: false,
    })
}

/// What the store keeps for an account signed up without a password: a
/// password of 256 random bits, which nobody knows, and the mark of it.
pub(crate) async fn no_password(pool: &UserPool, username: &str) -> Result<Credential, Error> {
    Ok(Credential {
        passwordless: true,
        ..credential(pool, username, &secrets::token()?).await?
    })
}

/// The key an attempt to sign in as `name` counts its failures under: the
/// account's, whatever name reached it, or for a name without one the name
/// itself (so that it takes the same path, to the same answers at the same counts).
pub(crate) fn failure_key(pool: &UserPool, user: Option<&User>, name: &str) -> String {
    name_key(
        pool,
        &match user {
            Some(user) => user.sub.clone(),
            None => pool.pool().naming().username_key(name),
        },
    )
}

/// The failed sign-ins counted under a key (see [`failure_key`]).
pub(crate) struct Attempts {
    key: String,
    /// Locked out now.
    pub(crate) locked: bool,
    /// Any failures counted, to forget after a success.
    any: bool,
}

impl Attempts {
    pub(crate) async fn of(pool: &UserPool, key: String, now: i64) -> Result<Attempts, Error> {
        let failures = pool.store().login_failures(&key).await?;
        Ok(Attempts {
            key,
            locked: failures.locked_until > now,
            any: failures.failures > 0,
        })
    }
}

/// Counts a failed sign-in: refused, and locked out once there are too many.
pub(crate) async fn failed(
    pool: &UserPool,
    attempts: &Attempts,
    now: i64,
) -> Result<SignIn, Error> {
    let store = pool.store();
    let lockout = lockout_seconds(store.count_login_failure(&attempts.key, now).await?);
    if lockout == 0 {
        return Ok(SignIn::Refused(Refusal::IncorrectCredentials));
    }
    store.lock_login(&attempts.key, now + lockout).await?;
    Ok(SignIn::Refused(Refusal::LockedOut))
}

/// What a user who proved their password gets, by the account's state:
/// tokens, a new code to confirm with, the new-password challenge, or a
/// refusal. The failures counted before are forgotten.
pub(crate) async fn admitted(
    pool: &UserPool,
    caller: Caller<'_>,
    user: User,
    attempts: &Attempts,
    proof: Proof,
    now: i64,
) -> Result<SignIn, Error> {
    if attempts.any {
        let complete = match proof {
            Proof::Complete => true,
            Proof::Password => !second_factor_may_follow(pool, &user).await?,
        };
        if complete {
            pool.store().clear_login_failures(&attempts.key).await?;
        }
    }
    if !user.enabled {
        return Ok(SignIn::Refused(Refusal::Disabled));
    }
    if user.password_reset_required {
        return Ok(SignIn::PasswordResetRequired);
    }
    if !user.confirmed {
        let to = code_destination(pool, &user).await?;
        let for_ = CodeFor::Resend;
        send_new_code(pool, caller, &user.sub, to.as_deref(), for_, now).await?;
        return Ok(SignIn::NeedsConfirmation);
    }
    if user.force_password_change {
        // Cognito's 0 means its default, 7 days.
        let days = match pool
            .pool()
            .password_policy()
            .temporary_password_validity_days
        {
            0 => 7,
            days => i64::from(days),
        };
        if now > user.updated_at + days * 86_400 {
            return Ok(SignIn::Refused(Refusal::TemporaryPasswordExpired));
        }
        return Ok(SignIn::NewPasswordRequired(user));
    }
    Ok(SignIn::Authenticated(user))
}

/// [`admitted`] after a step that completes the sign-in (a second factor, a
/// passkey, a mailed code) for the app client `client_id`.
pub(crate) async fn completed(
    pool: &UserPool,
    client_id: &str,
    user: User,
    attempts: &Attempts,
    now: i64,
) -> Result<SignIn, Error> {
    admitted(
        pool,
        Caller::of(client_id),
        user,
        attempts,
        Proof::Complete,
        now,
    )
    .await
}

/// Signs in by username (or another sign-in name) and password, for `caller`
/// (whose triggers run: PreAuthentication, and UserMigration for a name the
/// pool does not know).
pub(crate) async fn sign_in(
    pool: &UserPool,
    caller: Caller<'_>,
    username: &str,
    password: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let naming = pool.pool().naming();
    let mut user = pool
        .store()
        .user_by_username(&naming.lookup(username))
        .await?;
    let attempts = Attempts::of(pool, failure_key(pool, user.as_ref(), username), now).await?;
    if attempts.locked {
        return Ok(SignIn::Refused(Refusal::LockedOut));
    }
    sign_in_triggers::pre_authentication(pool, caller, username, user.as_ref(), &Metadata::new())
        .await?;
    if user.is_none() {
        let migrating = Migrating::SignIn { password };
        if let Some(migrated) = migrate(pool, caller, username, migrating, now).await? {
            // The old system checked the password, and the new account has it.
            return admitted(pool, caller, migrated, &attempts, Proof::Password, now).await;
        }
    }
    verify_password(pool, caller, user.take(), &attempts, password, now).await
}

/// Checks `password` against the account of `user` (None: against a decoy).
async fn verify_password(
    pool: &UserPool,
    caller: Caller<'_>,
    user: Option<User>,
    attempts: &Attempts,
    password: &str,
    now: i64,
) -> Result<SignIn, Error> {
    // Unknown users are checked against a decoy hash: same time, same message.
    let matches = pool
        .hasher()
        .verify(password, user.as_ref().map(|u| u.password_hash.as_str()))
        .await?;
    let Some(user) = user.filter(|_| matches) else {
        return failed(pool, attempts, now).await;
    };
    // A password set before SRP verifiers were made gets one now.
    let pool_id = &pool.pool().id;
    if user
        .srp_verifier
        .as_deref()
        .and_then(|stored| srp::parse_stored(stored, pool_id))
        .is_none()
    {
        let credential = Credential {
            password_hash: user.password_hash.clone(),
            srp_verifier: srp::stored(pool_id, &user.username, password)?,
            passwordless: false,
        };
        pool.store()
            .add_srp_verifier(&user.sub, &credential)
            .await?;
    }
    admitted(pool, caller, user, attempts, Proof::Password, now).await
}

/// Checks a password against an account without signing in (ChangePassword's
/// previous password): no triggers, the same lockout.
pub(crate) async fn check_password(
    pool: &UserPool,
    user: User,
    password: &str,
    now: i64,
) -> Result<SignIn, Error> {
    let attempts = Attempts::of(pool, failure_key(pool, Some(&user), &user.sub), now).await?;
    if attempts.locked {
        return Ok(SignIn::Refused(Refusal::LockedOut));
    }
    verify_password(
        pool,
        Caller::administrator(),
        Some(user),
        &attempts,
        password,
        now,
    )
    .await
}

/// Brings `name` over from an old system through the UserMigration trigger,
/// if the pool has one and it vouches for them: the new account, with the
/// password just proven (signing in), or one to be reset (otherwise, or as
/// the trigger says).
async fn migrate(
    pool: &UserPool,
    caller: Caller<'_>,
    name: &str,
    migrating: Migrating<'_>,
    now: i64,
) -> Result<Option<User>, Error> {
    if !crate::triggers::event::configured(pool, crate::lambda_config::Trigger::UserMigration) {
        return Ok(None);
    }
    let Some(migrated) = sign_in_triggers::user_migration(pool, caller, name, migrating).await?
    else {
        return Ok(None);
    };
    let mut attributes = Vec::new();
    let mut email = None;
    for (attribute, value) in migrated.attributes {
        match attribute.as_str() {
            "sub" | "username" => {}
            _ if attribute.starts_with("cognito:") => {}
            "email" => {
                email = Some(valid_email(&value).map_err(|_| crate::triggers::invalid_response())?)
            }
            _ if value.chars().count() > 2048 => return Err(crate::triggers::invalid_response()),
            _ => attributes.push((attribute, value)),
        }
    }
    let naming = pool.pool().naming();
    // Where attributes are the names, the name signed in with is one of them.
    let username = match naming {
        Naming::Attributes(_) => None,
        plain => Some(plain.username_key(name)),
    };
    if username.is_none() && email.is_none() && attribute(&attributes, "phone_number").is_none() {
        email = Some(valid_email(name).map_err(|_| crate::triggers::invalid_response())?);
    }
    let sub = secrets::uuid()?;
    let reset = match migrating {
        Migrating::SignIn { .. } => migrated.status == FinalStatus::ResetRequired,
        Migrating::ForgotPassword => true,
    };
    let credential = match migrating {
        Migrating::SignIn { password } if !reset => {
            credential(pool, username.as_deref().unwrap_or(&sub), password).await?
        }
        _ => no_password(pool, username.as_deref().unwrap_or(&sub)).await?,
    };
    let mut user = new_user(
        &sub,
        username.as_deref(),
        email.as_deref(),
        &credential,
        true,
        now,
    );
    user.passwordless = false;
    user.password_reset_required = reset;
    if email.is_some() && !attributes.iter().any(|(n, _)| n == "email_verified") {
        attributes.push(("email_verified".to_owned(), "true".to_owned()));
    }
    let keys = naming.keys(email.as_deref(), &attributes);
    if !pool
        .store()
        .insert_user(&user, &keys, &attributes, &[], None)
        .await?
    {
        // Migrated by a concurrent request, or the address is another user's.
        return Ok(None);
    }
    tracing::info!(%sub, "user migrated by the UserMigration trigger");
    Ok(Some(user))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lockout_grows_and_is_capped() {
        assert_eq!(lockout_seconds(4), 0);
        assert_eq!(lockout_seconds(5), 60);
        assert_eq!(lockout_seconds(6), 120);
        assert_eq!(lockout_seconds(9), 900);
        assert_eq!(lockout_seconds(1000), 900);
    }

    #[test]
    fn codes_are_rationed_per_window() {
        let first = next_issuance(None, 1000).unwrap();
        assert_eq!(
            first,
            Issuance {
                window_start: 1000,
                issued_in_window: 1
            }
        );
        let mut last = first;
        for n in 2..=CODES_PER_WINDOW {
            last = next_issuance(Some(last), 1000 + n).unwrap();
            assert_eq!(last.issued_in_window, n);
        }
        assert_eq!(
            next_issuance(Some(last), 1000 + CODE_WINDOW_SECONDS - 1),
            None
        );
        assert_eq!(
            next_issuance(Some(last), 1000 + CODE_WINDOW_SECONDS),
            Some(Issuance {
                window_start: 1000 + CODE_WINDOW_SECONDS,
                issued_in_window: 1
            })
        );
    }

    #[test]
    fn emails() {
        assert_eq!(normalize_email("  Alice@Example.COM "), "alice@example.com");
        assert!(email_is_plausible("a@b.co"));
        for bad in [
            "", "a", "a@b", "@b.co", "a@@b.co", "a b@c.de", "a@.com", "a@b.com.",
        ] {
            assert!(!email_is_plausible(bad), "{bad}");
        }
    }
}
