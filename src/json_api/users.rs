//! The JSON API operations an app calls on its users' behalf: sign-up and
//! confirmation, the password and refresh flows (`InitiateAuth`), the
//! `NEW_PASSWORD_REQUIRED` challenge, password reset and change, and the
//! operations authorized by the user's own access token. Request and response
//! fields are Cognito's; with `PreventUserExistenceErrors` `ENABLED` (the
//! declared clients') unknown users look like wrong passwords or codes, and
//! with `LEGACY` (the default of clients created through the API) they get
//! `UserNotFoundException`, as in Cognito.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::wire::{
    AuthFlow, ChallengeName, InitiateAuthRequest, RespondToAuthChallengeRequest, not_enabled,
};
use super::{
    ADMIN_SCOPE, ApiError, AttributeType, CodeDeliveryDetails, Writing, check_secret_hash, client,
    code_delivery, user_attributes, writable_attributes,
};
use crate::accounts::{self, Resent, ResetRequest, SignIn};
use crate::auth_factors::{AuthFactor, MfaFactor};
use crate::config::Client;
use crate::directory::{self, PasswordUse};
use crate::grants::{self, Authentication, Holder, RefreshRefusal, Source, Tokens};
use crate::mfa::{self, Challenge};
use crate::scope::Scope;
use crate::store::{SessionStep, User};
use crate::triggers::authentication::post_authentication;
use crate::triggers::event::{self, Caller, Metadata, NameValue};
use crate::user_auth::{self, Choice, CodeSent, MailedCode};
use crate::verification::{self, NotVerified, Sent, Verifiable};
use crate::{UserPool, challenge, custom_auth, password_verifier, secrets};

// --- sign-up ---

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SignUpRequest {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    /// None only where the pool lets people sign in without one (a passwordless first factor).
    password: Option<String>,
    #[serde(default)]
    user_attributes: Vec<AttributeType>,
    #[serde(default)]
    validation_data: Vec<NameValue>,
    #[serde(default)]
    client_metadata: Metadata,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct SignUpResponse {
    user_confirmed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    code_delivery_details: Option<CodeDeliveryDetails>,
    user_sub: String,
}

pub(super) async fn sign_up(
    pool: UserPool,
    request: SignUpRequest,
) -> Result<SignUpResponse, ApiError> {
    let client = client(&pool, &request.client_id)?;
    check_secret_hash(client, &request.username, request.secret_hash.as_deref())?;
    let policy = &pool.pool().settings.policies.sign_in_policy;
    if request.password.is_none()
        && !policy.allows(AuthFactor::EmailOtp)
        && !policy.allows(AuthFactor::WebAuthn)
    {
        return Err(ApiError::InvalidParameter(
            "Password is required: this user pool allows no sign-in without one (its SignInPolicy has no EMAIL_OTP or WEB_AUTHN).".to_owned(),
        ));
    }
    let mut given = request.user_attributes;
    let (username, email) = super::new_user_names(&pool, &request.username, &mut given)?;
    super::check_writes(client, given.iter().map(|a| a.name.as_str()))?;
    super::check_required(&pool, &given)?;
    let schema = &pool.pool().settings.schema_attributes;
    let attributes = writable_attributes(given, email.as_deref(), schema, Writing::SignUp)?;
    let validation_data = event::validation_data(&request.validation_data);
    let applicant = accounts::Applicant {
        username: username.as_deref(),
        email: email.as_deref(),
        validation_data: &validation_data,
    };
    // Cognito's API says so (the hosted UI does not: it mails the owner instead),
    // here before hashing the password, and again if a concurrent sign-up wins.
    let taken = pool
        .pool()
        .naming()
        .new_user(username.as_deref(), email.as_deref(), &attributes);
    if pool.store().user_by_username(&taken).await?.is_some() {
        return Err(ApiError::UsernameExists);
    }
    let caller = Caller {
        client_id: &client.id,
        metadata: &request.client_metadata,
    };
    let accounts::SignedUp::Created { sub, confirmed } = accounts::sign_up(
        &pool,
        caller,
        &applicant,
        request.password.as_deref(),
        &attributes,
        accounts::Via::Api,
        crate::now(),
    )
    .await??
    else {
        return Err(ApiError::UsernameExists);
    };
    Ok(SignUpResponse {
        user_confirmed: confirmed,
        // Confirmed by the PreSignUp trigger: no code was sent.
        code_delivery_details: (!confirmed)
            .then(|| super::sign_up_delivery(&pool, email.as_deref(), &attributes))
            .flatten(),
        user_sub: sub,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ConfirmSignUpRequest {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    confirmation_code: String,
    #[serde(default)]
    client_metadata: Metadata,
}

#[derive(Serialize)]
pub(super) struct Empty {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ConfirmSignUpResponse {
    /// Signs the new user in once through `USER_AUTH`.
    session: String,
}

pub(super) async fn confirm_sign_up(
    pool: UserPool,
    request: ConfirmSignUpRequest,
) -> Result<ConfirmSignUpResponse, ApiError> {
    let client = client(&pool, &request.client_id)?;
    check_secret_hash(client, &request.username, request.secret_hash.as_deref())?;
    // A LEGACY client learns that the name has no account, or a confirmed one.
    if client.legacy_user_existence_errors {
        match accounts::user_named(&pool, &request.username).await? {
            None => return Err(ApiError::UserNotFound),
            Some(user) if user.confirmed => {
                return Err(ApiError::NotAuthorized(
                    "User cannot be confirmed. Current status is CONFIRMED".to_owned(),
                ));
            }
            Some(_) => {}
        }
    }
    let code = &request.confirmation_code;
    let now = crate::now();
    let caller = Caller {
        client_id: &client.id,
        metadata: &request.client_metadata,
    };
    let user = accounts::confirm(&pool, caller, &request.username, code, now).await??;
    Ok(ConfirmSignUpResponse {
        session: user_auth::signed_up(&pool, &client.id, &user, now).await?,
    })
}

/// The request of ResendConfirmationCode and ForgotPassword.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UsernameRequest {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    #[serde(default)]
    client_metadata: Metadata,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct CodeDeliveryResponse {
    code_delivery_details: CodeDeliveryDetails,
}

/// For a `LEGACY` client, `UserNotFoundException` when `name` has no account;
/// an `ENABLED` one learns nothing.
async fn reveal_unknown(pool: &UserPool, client: &Client, name: &str) -> Result<(), ApiError> {
    if client.legacy_user_existence_errors && accounts::user_named(pool, name).await?.is_none() {
        return Err(ApiError::UserNotFound);
    }
    Ok(())
}

/// Answers the same for every address, known or not (for an `ENABLED` client).
pub(super) async fn resend_confirmation_code(
    pool: UserPool,
    request: UsernameRequest,
) -> Result<CodeDeliveryResponse, ApiError> {
    let client = client(&pool, &request.client_id)?;
    check_secret_hash(client, &request.username, request.secret_hash.as_deref())?;
    reveal_unknown(&pool, client, &request.username).await?;
    let as_if_sent = || accounts::decoy_destination(&pool, &request.username);
    let caller = Caller {
        client_id: &client.id,
        metadata: &request.client_metadata,
    };
    let resent = accounts::resend_code(&pool, caller, &request.username, crate::now()).await?;
    let delivered_to = match resent {
        Resent::Sent(to) => to.unwrap_or_else(as_if_sent),
        Resent::OverLimit { .. } => return Err(ApiError::LimitExceeded),
        Resent::AlreadyConfirmed if client.legacy_user_existence_errors => {
            return Err(ApiError::InvalidParameter(
                "User is already confirmed.".to_owned(),
            ));
        }
        Resent::AlreadyConfirmed | Resent::Unknown => as_if_sent(),
    };
    Ok(CodeDeliveryResponse {
        code_delivery_details: code_delivery(&delivered_to),
    })
}

pub(super) async fn forgot_password(
    pool: UserPool,
    request: UsernameRequest,
) -> Result<CodeDeliveryResponse, ApiError> {
    let client = client(&pool, &request.client_id)?;
    check_secret_hash(client, &request.username, request.secret_hash.as_deref())?;
    // The UserMigration trigger is asked about a name the pool does not know first.
    if !migrates(&pool) {
        reveal_unknown(&pool, client, &request.username).await?;
    }
    let caller = Caller {
        client_id: &client.id,
        metadata: &request.client_metadata,
    };
    let delivered_to =
        match accounts::forgot_password(&pool, caller, &request.username, crate::now()).await? {
            ResetRequest::Sent(to) => to,
            ResetRequest::OverLimit => return Err(ApiError::LimitExceeded),
            ResetRequest::AdminOnly => return Err(super::reset_not_allowed()),
            ResetRequest::NoChannel if client.legacy_user_existence_errors => {
                return Err(super::no_recovery_channel());
            }
            ResetRequest::Unknown if client.legacy_user_existence_errors => {
                return Err(ApiError::UserNotFound);
            }
            // What a code sent to the name would have looked like.
            ResetRequest::NoChannel | ResetRequest::Unknown => {
                accounts::decoy_destination(&pool, &request.username)
            }
        };
    Ok(CodeDeliveryResponse {
        code_delivery_details: code_delivery(&delivered_to),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ConfirmForgotPasswordRequest {
    client_id: String,
    secret_hash: Option<String>,
    username: String,
    confirmation_code: String,
    password: String,
    #[serde(default)]
    client_metadata: Metadata,
}

pub(super) async fn confirm_forgot_password(
    pool: UserPool,
    request: ConfirmForgotPasswordRequest,
) -> Result<Empty, ApiError> {
    let client = client(&pool, &request.client_id)?;
    check_secret_hash(client, &request.username, request.secret_hash.as_deref())?;
    reveal_unknown(&pool, client, &request.username).await?;
    let caller = Caller {
        client_id: &client.id,
        metadata: &request.client_metadata,
    };
    accounts::confirm_forgot_password(
        &pool,
        caller,
        &request.username,
        &request.confirmation_code,
        &request.password,
        crate::now(),
    )
    .await??;
    Ok(Empty {})
}

// --- authentication flows ---

/// Tokens, or a challenge to answer first.
#[derive(Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub(crate) struct AuthResponse {
    #[serde(skip_serializing_if = "Option::is_none")]
    authentication_result: Option<AuthenticationResult>,
    #[serde(skip_serializing_if = "Option::is_none")]
    challenge_name: Option<ChallengeName>,
    #[serde(skip_serializing_if = "Option::is_none")]
    session: Option<String>,
    challenge_parameters: HashMap<String, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    available_challenges: Option<Vec<Choice>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AuthenticationResult {
    access_token: String,
    expires_in: i64,
    token_type: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    refresh_token: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    id_token: Option<String>,
}

impl From<Tokens> for AuthenticationResult {
    fn from(tokens: Tokens) -> AuthenticationResult {
        AuthenticationResult {
            access_token: tokens.access_token,
            expires_in: tokens.expires_in,
            token_type: "Bearer",
            refresh_token: tokens.refresh_token,
            id_token: tokens.id_token,
        }
    }
}

impl From<Tokens> for AuthResponse {
    fn from(tokens: Tokens) -> AuthResponse {
        AuthResponse {
            authentication_result: Some(tokens.into()),
            ..AuthResponse::default()
        }
    }
}

fn parameter<'a>(parameters: &'a HashMap<String, String>, name: &str) -> Result<&'a str, ApiError> {
    parameters
        .get(name)
        .map(String::as_str)
        .ok_or_else(|| ApiError::InvalidParameter(format!("Missing required parameter {name}")))
}

pub(super) async fn initiate_auth(
    pool: UserPool,
    request: InitiateAuthRequest,
) -> Result<AuthResponse, ApiError> {
    authenticate(&pool, &request, false).await
}

/// The flows of InitiateAuth (`admin` false) and AdminInitiateAuth (`admin` true).
pub(super) async fn authenticate(
    pool: &UserPool,
    request: &InitiateAuthRequest,
    admin: bool,
) -> Result<AuthResponse, ApiError> {
    let client = client(pool, &request.client_id)?;
    let flow = AuthFlow::parse(&request.auth_flow, admin)?;
    if !client.allows_flow(flow.enabled_by()) {
        return Err(not_enabled(&request.auth_flow));
    }
    let parameters = &request.auth_parameters;
    let caller = Caller {
        client_id: &client.id,
        metadata: &request.client_metadata,
    };
    match flow {
        AuthFlow::UserPassword | AuthFlow::AdminUserPassword => {
            password_auth(pool, client, caller, parameters).await
        }
        AuthFlow::RefreshToken => refresh_auth(pool, client, parameters).await,
        AuthFlow::UserSrp => srp_auth(pool, caller, client, parameters).await,
        AuthFlow::UserAuth => user_auth(pool, client, request).await,
        AuthFlow::CustomAuth => custom_auth(pool, client, caller, parameters).await,
    }
}

/// `CUSTOM_AUTH`: the pool's DefineAuthChallenge trigger decides the first step.
async fn custom_auth(
    pool: &UserPool,
    client: &Client,
    caller: Caller<'_>,
    parameters: &HashMap<String, String>,
) -> Result<AuthResponse, ApiError> {
    if !custom_auth::available(pool) {
        return Err(ApiError::InvalidParameter(
            "Custom auth lambda trigger is not configured for the user pool.".to_owned(),
        ));
    }
    let username = username_of(client, parameters)?;
    reveal_unknown(pool, client, username).await?;
    let now = crate::now();
    let next = custom_auth::start(pool, caller, username, now).await?;
    custom_step(pool, client, next, now).await
}

/// A custom sign-in's next step, as the API answers it.
async fn custom_step(
    pool: &UserPool,
    client: &Client,
    next: custom_auth::Next,
    now: i64,
) -> Result<AuthResponse, ApiError> {
    match next {
        // No second factor after a custom sign-in: its triggers decide what it takes.
        custom_auth::Next::Done(outcome) => signed_in(pool, client, outcome, now).await,
        custom_auth::Next::Challenge {
            session,
            parameters,
        } => Ok(AuthResponse {
            challenge_name: Some(ChallengeName::CustomChallenge),
            session: Some(session),
            challenge_parameters: parameters.into_iter().collect(),
            ..AuthResponse::default()
        }),
    }
}

/// `USER_AUTH`: the user of a sign-up's session signs in; otherwise the
/// preferred challenge is taken at once when it is on offer (with what it
/// needs: `PASSWORD`, or `SRP_A`), or `SELECT_CHALLENGE` lists the offer.
async fn user_auth(
    pool: &UserPool,
    client: &Client,
    request: &InitiateAuthRequest,
) -> Result<AuthResponse, ApiError> {
    let parameters = &request.auth_parameters;
    let username = username_of(client, parameters)?;
    let user = accounts::user_named(pool, username).await?;
    if client.legacy_user_existence_errors && user.is_none() {
        return Err(ApiError::UserNotFound);
    }
    let now = crate::now();
    if let Some(session) = &request.session {
        let user = user_auth::sign_in_signed_up(pool, session, &client.id, username, now).await??;
        return Ok(start_session(pool, client, &user, now).await?.into());
    }
    let offered = user_auth::choices(pool, user.as_ref()).await?;
    let preferred = match parameters.get("PREFERRED_CHALLENGE") {
        None => None,
        Some(name) => preferred_challenge(name)?,
    };
    if let Some(choice) = preferred.filter(|c| offered.contains(c)) {
        return take_choice(pool, client, choice, username, parameters, user.as_ref()).await;
    }
    let step = SessionStep::SelectChallenge;
    let session = user_auth::open(pool, &client.id, username, user.as_ref(), step, now).await?;
    Ok(AuthResponse {
        challenge_name: Some(ChallengeName::SelectChallenge),
        session: Some(session),
        available_challenges: Some(offered),
        ..AuthResponse::default()
    })
}

/// `PREFERRED_CHALLENGE`: one the pool can offer, None for one of Cognito's
/// it does not (the user then chooses from what there is).
fn preferred_challenge(name: &str) -> Result<Option<Choice>, ApiError> {
    match Choice::parse(name) {
        Some(choice) => Ok(Some(choice)),
        None if name == "SMS_OTP" => Ok(None),
        None => Err(ApiError::InvalidParameter(format!(
            "PREFERRED_CHALLENGE {name} is not one of PASSWORD, PASSWORD_SRP, EMAIL_OTP, SMS_OTP, WEB_AUTHN."
        ))),
    }
}

/// The challenge `username` (with `user`, if the name has an account; its
/// `SECRET_HASH` checked already) chose, answered with what came with the choice.
async fn take_choice(
    pool: &UserPool,
    client: &Client,
    choice: Choice,
    username: &str,
    parameters: &HashMap<String, String>,
    user: Option<&User>,
) -> Result<AuthResponse, ApiError> {
    match choice {
        Choice::Password => {
            let password = parameter(parameters, "PASSWORD")?;
            password_sign_in(pool, client, Caller::of(&client.id), username, password).await
        }
        Choice::PasswordSrp => {
            let a_public = parameter(parameters, "SRP_A")?;
            srp_challenge(pool, Caller::of(&client.id), username, a_public).await
        }
        Choice::EmailOtp => {
            let purpose = MailedCode::SignIn;
            let sent =
                user_auth::send_code(pool, &client.id, username, user, purpose, crate::now());
            let CodeSent::Sent {
                session,
                destination,
            } = sent.await?
            else {
                return Err(ApiError::LimitExceeded);
            };
            Ok(code_challenge(
                ChallengeName::EmailOtp,
                session,
                &destination,
            ))
        }
        Choice::WebAuthn => {
            // Offered only to users with passkeys.
            let user = user.ok_or_else(|| {
                ApiError::NotAuthorized("Incorrect username or password.".to_owned())
            })?;
            let (session, options) =
                user_auth::start_passkey(pool, &client.id, user, crate::now()).await??;
            Ok(AuthResponse {
                challenge_name: Some(ChallengeName::WebAuthn),
                session: Some(session),
                challenge_parameters: challenge_parameters_of([
                    ("CREDENTIAL_REQUEST_OPTIONS", options.to_string()),
                    ("USERNAME", user.username.clone()),
                ]),
                ..AuthResponse::default()
            })
        }
    }
}

/// The challenge (`EMAIL_OTP`, `SMS_MFA`) of a code sent to `destination`
/// (shown masked, with how it went).
fn code_challenge(name: ChallengeName, session: String, destination: &str) -> AuthResponse {
    let delivery = code_delivery(destination);
    AuthResponse {
        challenge_name: Some(name),
        session: Some(session),
        challenge_parameters: challenge_parameters_of([
            (
                "CODE_DELIVERY_DELIVERY_MEDIUM",
                delivery.delivery_medium.to_owned(),
            ),
            ("CODE_DELIVERY_DESTINATION", delivery.destination),
        ]),
        ..AuthResponse::default()
    }
}

/// `USER_SRP_AUTH`: the `PASSWORD_VERIFIER` challenge for the client's `SRP_A`.
async fn srp_auth(
    pool: &UserPool,
    caller: Caller<'_>,
    client: &Client,
    parameters: &HashMap<String, String>,
) -> Result<AuthResponse, ApiError> {
    let (username, a_public) = sign_in_parameters(pool, client, parameters, "SRP_A").await?;
    srp_challenge(pool, caller, username, a_public).await
}

/// The `PASSWORD_VERIFIER` challenge for `username` and the client's `SRP_A`.
async fn srp_challenge(
    pool: &UserPool,
    caller: Caller<'_>,
    username: &str,
    a_public: &str,
) -> Result<AuthResponse, ApiError> {
    let Some(challenge) =
        password_verifier::challenge(pool, caller, username, a_public, crate::now()).await?
    else {
        return Err(ApiError::InvalidParameter(
            "SRP_A is not a valid SRP value.".to_owned(),
        ));
    };
    Ok(AuthResponse {
        challenge_name: Some(ChallengeName::PasswordVerifier),
        challenge_parameters: challenge_parameters_of([
            ("SALT", challenge.salt),
            ("SRP_B", challenge.srp_b),
            ("SECRET_BLOCK", challenge.secret_block),
            ("USER_ID_FOR_SRP", challenge.user_id.clone()),
            ("USERNAME", challenge.user_id),
        ]),
        ..AuthResponse::default()
    })
}

/// A sign-in's `USERNAME` and its `proof` parameter (`PASSWORD`, `SRP_A`),
/// with the `SECRET_HASH` of a client that has a secret checked, and, for a
/// `LEGACY` client, a name without an account refused.
async fn sign_in_parameters<'a>(
    pool: &UserPool,
    client: &Client,
    parameters: &'a HashMap<String, String>,
    proof: &str,
) -> Result<(&'a str, &'a str), ApiError> {
    let username = username_of(client, parameters)?;
    let proof = parameter(parameters, proof)?;
    reveal_unknown(pool, client, username).await?;
    Ok((username, proof))
}

/// The `USERNAME` of auth parameters or challenge responses, with the
/// `SECRET_HASH` a client with a secret must send beside it checked.
fn username_of<'a>(
    client: &Client,
    parameters: &'a HashMap<String, String>,
) -> Result<&'a str, ApiError> {
    let username = parameter(parameters, "USERNAME")?;
    check_secret_hash(
        client,
        username,
        parameters.get("SECRET_HASH").map(String::as_str),
    )?;
    Ok(username)
}

/// What a proven sign-in (password or SRP) answers: tokens, or the next step.
async fn signed_in(
    pool: &UserPool,
    client: &Client,
    outcome: SignIn,
    now: i64,
) -> Result<AuthResponse, ApiError> {
    match outcome {
        SignIn::Authenticated(user) => Ok(start_session(pool, client, &user, now).await?.into()),
        SignIn::NeedsConfirmation => Err(ApiError::UserNotConfirmed),
        SignIn::PasswordResetRequired => Err(ApiError::PasswordResetRequired),
        SignIn::NewPasswordRequired(user) => new_password_challenge(pool, client, &user, now),
        SignIn::Refused(refusal) => Err(refusal.into()),
    }
}

/// What a right password (given, proven by SRP, or just chosen) answers:
/// the second factor the pool asks for, or what [`signed_in`] answers.
async fn password_proven(
    pool: &UserPool,
    client: &Client,
    outcome: SignIn,
    now: i64,
) -> Result<AuthResponse, ApiError> {
    if let SignIn::Authenticated(user) = &outcome
        && let Some(next) = mfa::next(pool, user).await?
    {
        let challenge = mfa::open(pool, &client.id, user, next, now).await??;
        return Ok(mfa_challenge(challenge, user));
    }
    signed_in(pool, client, outcome, now).await
}

/// `ChallengeParameters` of fixed names.
fn challenge_parameters_of<const N: usize>(pairs: [(&str, String); N]) -> HashMap<String, String> {
    pairs
        .into_iter()
        .map(|(name, value)| (name.to_owned(), value))
        .collect()
}

/// A second-factor step, as Cognito's challenges carry it.
fn mfa_challenge(challenge: Challenge, user: &User) -> AuthResponse {
    let list = |factors: &[MfaFactor]| serde_json::json!(factors).to_string();
    let (challenge_name, session, challenge_parameters) = match challenge {
        Challenge::SoftwareToken {
            session,
            device_name,
        } => {
            let mut parameters =
                challenge_parameters_of([("USER_ID_FOR_SRP", user.username.clone())]);
            if let Some(name) = device_name {
                parameters.insert("FRIENDLY_DEVICE_NAME".to_owned(), name);
            }
            (ChallengeName::SoftwareTokenMfa, session, parameters)
        }
        Challenge::Sent {
            factor,
            session,
            destination,
        } => {
            let name = match factor {
                MfaFactor::Sms => ChallengeName::SmsMfa,
                MfaFactor::Email | MfaFactor::SoftwareToken => ChallengeName::EmailOtp,
            };
            return code_challenge(name, session, &destination);
        }
        Challenge::Choose { session, factors } => (
            ChallengeName::SelectMfaType,
            session,
            challenge_parameters_of([("MFAS_CAN_CHOOSE", list(&factors))]),
        ),
        Challenge::SetUp { session, factors } => (
            ChallengeName::MfaSetup,
            session,
            challenge_parameters_of([("MFAS_CAN_SETUP", list(&factors))]),
        ),
    };
    AuthResponse {
        challenge_name: Some(challenge_name),
        session: Some(session),
        challenge_parameters,
        ..AuthResponse::default()
    }
}

async fn password_auth(
    pool: &UserPool,
    client: &Client,
    caller: Caller<'_>,
    parameters: &HashMap<String, String>,
) -> Result<AuthResponse, ApiError> {
    if !migrates(pool) {
        let (username, password) = sign_in_parameters(pool, client, parameters, "PASSWORD").await?;
        return password_sign_in(pool, client, caller, username, password).await;
    }
    // The UserMigration trigger is asked about a name the pool does not know first.
    let username = username_of(client, parameters)?;
    let password = parameter(parameters, "PASSWORD")?;
    let answer = password_sign_in(pool, client, caller, username, password).await;
    if matches!(answer, Err(ApiError::NotAuthorized(_))) {
        reveal_unknown(pool, client, username).await?;
    }
    answer
}

/// Whether the pool has a UserMigration trigger, which may know names it does not.
fn migrates(pool: &UserPool) -> bool {
    crate::triggers::event::configured(pool, crate::lambda_config::Trigger::UserMigration)
}

async fn password_sign_in(
    pool: &UserPool,
    client: &Client,
    caller: Caller<'_>,
    username: &str,
    password: &str,
) -> Result<AuthResponse, ApiError> {
    let now = crate::now();
    let outcome = accounts::sign_in(pool, caller, username, password, now).await?;
    password_proven(pool, client, outcome, now).await
}

async fn start_session(
    pool: &UserPool,
    client: &Client,
    user: &User,
    now: i64,
) -> Result<Tokens, ApiError> {
    post_authentication(pool, Caller::of(&client.id), user).await?;
    let event_id = secrets::uuid()?;
    Ok(grants::start(
        pool,
        &Authentication {
            user,
            client_id: &client.id,
            scope: &Scope::parse(ADMIN_SCOPE),
            auth_time: now,
            event_id: &event_id,
            nonce: None,
            source: Source::Api,
        },
        now,
    )
    .await?)
}

async fn refresh_auth(
    pool: &UserPool,
    client: &Client,
    parameters: &HashMap<String, String>,
) -> Result<AuthResponse, ApiError> {
    // Rotation must go through GetTokensFromRefreshToken, which hands out the
    // new refresh token, as in Cognito.
    if client.refresh_token_rotation {
        return Err(ApiError::InvalidParameter(
            "REFRESH_TOKEN_AUTH is not supported for app clients with refresh token rotation: use GetTokensFromRefreshToken.".to_owned(),
        ));
    }
    let presented = parameter(parameters, "REFRESH_TOKEN")?;
    let invalid = || ApiError::NotAuthorized("Invalid Refresh Token".to_owned());
    let now = crate::now();
    if client.secret.is_some() {
        // The hash is over the user's name, which only the stored token knows.
        let stored = pool
            .store()
            .live_refresh_token(&secrets::digest(presented), now)
            .await?
            .ok_or_else(invalid)?;
        let username = parameters
            .get("USERNAME")
            .map_or(stored.sub.as_str(), String::as_str);
        check_secret_hash(
            client,
            username,
            parameters.get("SECRET_HASH").map(String::as_str),
        )?;
    }
    let tokens = grants::refresh(pool, client, presented, now)
        .await?
        .map_err(|_| invalid())?;
    Ok(tokens.into())
}

fn new_password_challenge(
    pool: &UserPool,
    client: &Client,
    user: &User,
    now: i64,
) -> Result<AuthResponse, ApiError> {
    let session = challenge::session(pool, user, &client.id, now)?;
    let attributes = match &user.email {
        Some(email) => serde_json::json!({ "email": email, "email_verified": "true" }),
        None => serde_json::json!({}),
    };
    Ok(AuthResponse {
        challenge_name: Some(ChallengeName::NewPasswordRequired),
        session: Some(session),
        challenge_parameters: challenge_parameters_of([
            ("USER_ID_FOR_SRP", user.username.clone()),
            ("requiredAttributes", "[]".to_owned()),
            ("userAttributes", attributes.to_string()),
        ]),
        ..AuthResponse::default()
    })
}

/// RespondToAuthChallenge and AdminRespondToAuthChallenge: `NEW_PASSWORD_REQUIRED`,
/// SRP's `PASSWORD_VERIFIER` and `USER_AUTH`'s `SELECT_CHALLENGE`.
pub(super) async fn respond_to_auth_challenge(
    pool: UserPool,
    request: RespondToAuthChallengeRequest,
) -> Result<AuthResponse, ApiError> {
    let client = client(&pool, &request.client_id)?;
    let challenge = ChallengeName::parse(&request.challenge_name)?;
    let responses = &request.challenge_responses;
    let username = username_of(client, responses)?;
    let now = crate::now();
    match challenge {
        ChallengeName::NewPasswordRequired => {
            let new_password = parameter(responses, "NEW_PASSWORD")?;
            let user = challenge::answer(
                &pool,
                request.session.as_deref().unwrap_or_default(),
                &client.id,
                username,
                new_password,
                now,
            )
            .await??;
            password_proven(&pool, client, SignIn::Authenticated(user), now).await
        }
        ChallengeName::CustomChallenge => {
            let caller = Caller {
                client_id: &client.id,
                metadata: &request.client_metadata,
            };
            let session = request.session.as_deref().unwrap_or_default();
            let answer = parameter(responses, "ANSWER")?;
            let next = custom_auth::answer(&pool, caller, session, username, answer, now).await??;
            custom_step(&pool, client, next, now).await
        }
        ChallengeName::PasswordVerifier => {
            let outcome = password_verifier::answer(
                &pool,
                &client.id,
                username,
                parameter(responses, "PASSWORD_CLAIM_SECRET_BLOCK")?,
                parameter(responses, "TIMESTAMP")?,
                parameter(responses, "PASSWORD_CLAIM_SIGNATURE")?,
                now,
            )
            .await?;
            password_proven(&pool, client, outcome, now).await
        }
        ChallengeName::SelectChallenge => {
            let answer = parameter(responses, "ANSWER")?;
            let user = accounts::user_named(&pool, username).await?;
            let offered = user_auth::choices(&pool, user.as_ref()).await?;
            let choice = Choice::parse(answer)
                .filter(|c| offered.contains(c))
                .ok_or_else(|| {
                    ApiError::InvalidParameter(format!(
                        "The challenge {answer} is not available for this user."
                    ))
                })?;
            let session = request.session.as_deref().unwrap_or_default();
            let step = SessionStep::SelectChallenge;
            let user = user_auth::resume(&pool, session, &client.id, username, step, now).await??;
            take_choice(&pool, client, choice, username, responses, user.as_ref()).await
        }
        ChallengeName::WebAuthn => {
            let credential = parameter(responses, "CREDENTIAL")?;
            let session = request.session.as_deref().unwrap_or_default();
            let outcome =
                user_auth::answer_passkey(&pool, session, &client.id, username, credential, now)
                    .await?;
            signed_in(&pool, client, outcome, now).await
        }
        ChallengeName::EmailOtp => {
            let code = parameter(responses, "EMAIL_OTP_CODE")?;
            let session = request.session.as_deref().unwrap_or_default();
            let outcome =
                user_auth::answer_code(&pool, session, &client.id, username, code, now).await?;
            signed_in(&pool, client, outcome, now).await
        }
        ChallengeName::SmsMfa => {
            let code = parameter(responses, "SMS_MFA_CODE")?;
            let session = request.session.as_deref().unwrap_or_default();
            let outcome =
                user_auth::answer_code(&pool, session, &client.id, username, code, now).await?;
            signed_in(&pool, client, outcome, now).await
        }
        ChallengeName::SoftwareTokenMfa => {
            let code = parameter(responses, "SOFTWARE_TOKEN_MFA_CODE")?;
            let session = request.session.as_deref().unwrap_or_default();
            let outcome =
                mfa::answer_software_token(&pool, session, &client.id, username, code, now).await?;
            signed_in(&pool, client, outcome, now).await
        }
        ChallengeName::SelectMfaType => {
            let answer = parameter(responses, "ANSWER")?;
            let user = accounts::user_named(&pool, username).await?;
            let usable = match &user {
                Some(user) => mfa::usable(&pool, user).await?,
                None => Vec::new(),
            };
            let factor = MfaFactor::parse(answer)
                .filter(|f| usable.contains(f))
                .ok_or_else(|| {
                    ApiError::InvalidParameter(format!(
                        "The MFA type {answer} is not available for this user."
                    ))
                })?;
            let session = request.session.as_deref().unwrap_or_default();
            let challenge =
                mfa::choose(&pool, session, &client.id, username, factor, now).await??;
            Ok(mfa_challenge(
                challenge,
                user.as_ref().ok_or(ApiError::UserNotFound)?,
            ))
        }
        ChallengeName::MfaSetup => {
            let session = request.session.as_deref().unwrap_or_default();
            let Some(email) = responses.get("EMAIL") else {
                let outcome = mfa::finish_setup(&pool, session, &client.id, username, now).await?;
                return signed_in(&pool, client, outcome, now).await;
            };
            // Codes go only to the user's own verified address.
            let user = accounts::user_named(&pool, username).await?;
            let own = match &user {
                Some(user) => user_auth::verified_email(&pool, user).await?,
                None => None,
            };
            if own.is_none_or(|own| Some(own) != accounts::valid_email(email).ok()) {
                return Err(ApiError::InvalidParameter(
                    "EMAIL must be the user's verified email address.".to_owned(),
                ));
            }
            let challenge = mfa::set_up_email(&pool, session, &client.id, username, now).await??;
            Ok(mfa_challenge(
                challenge,
                user.as_ref().ok_or(ApiError::UserNotFound)?,
            ))
        }
    }
}

// --- operations authorized by the user's access token ---

/// The user an access token with the API scope belongs to.
pub(super) async fn token_holder(pool: &UserPool, access_token: &str) -> Result<User, ApiError> {
    Ok(token_grant(pool, access_token).await?.user)
}

/// The access token with the API scope, checked: its user and its client.
async fn token_grant(pool: &UserPool, access_token: &str) -> Result<Holder, ApiError> {
    let holder: Holder = grants::holder(pool, access_token)
        .await?
        .ok_or_else(|| ApiError::NotAuthorized("Invalid Access Token".to_owned()))?;
    if !holder.has_scope(ADMIN_SCOPE) {
        return Err(ApiError::NotAuthorized(
            "Access Token does not have required scopes".to_owned(),
        ));
    }
    Ok(holder)
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AccessTokenRequest {
    access_token: String,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetUserResponse {
    username: String,
    user_attributes: Vec<AttributeType>,
    #[serde(flatten)]
    mfa: super::wire::MfaFields,
}

pub(super) async fn get_user(
    pool: UserPool,
    request: AccessTokenRequest,
) -> Result<GetUserResponse, ApiError> {
    let Holder {
        user, client_id, ..
    } = token_grant(&pool, &request.access_token).await?;
    // Only what the token's client may read (its ReadAttributes).
    let mut attributes = user_attributes(&pool, &user).await?;
    if let Some(client) = pool.pool().client(&client_id) {
        attributes.retain(|a| client.reads(&a.name));
    }
    Ok(GetUserResponse {
        user_attributes: attributes,
        mfa: super::wire::mfa_fields(&pool, &user).await?,
        username: user.username,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateUserAttributesRequest {
    access_token: String,
    user_attributes: Vec<AttributeType>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct UpdateUserAttributesResponse {
    code_delivery_details_list: Vec<CodeDeliveryDetails>,
}

pub(super) async fn update_user_attributes(
    pool: UserPool,
    request: UpdateUserAttributesRequest,
) -> Result<UpdateUserAttributesResponse, ApiError> {
    let Holder {
        user, client_id, ..
    } = token_grant(&pool, &request.access_token).await?;
    if let Some(client) = pool.pool().client(&client_id) {
        let names = request.user_attributes.iter().map(|a| a.name.as_str());
        super::check_writes(client, names)?;
    }
    let writing = Writing::UpdateUserAttributes;
    let sent = super::update_attributes(&pool, &user, request.user_attributes, writing).await?;
    Ok(UpdateUserAttributesResponse {
        code_delivery_details_list: sent,
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct AttributeVerificationCodeRequest {
    access_token: String,
    attribute_name: String,
}

/// The attribute a verification request names: an email address or a phone number.
fn verifiable(name: &str) -> Result<Verifiable, ApiError> {
    Verifiable::parse(name).ok_or_else(|| {
        ApiError::InvalidParameter(format!(
            "{name} is not an attribute that can be verified: only email and phone_number are."
        ))
    })
}

/// GetUserAttributeVerificationCode: a code to the address or number (the new
/// address, for a change under way).
pub(super) async fn get_user_attribute_verification_code(
    pool: UserPool,
    request: AttributeVerificationCodeRequest,
) -> Result<CodeDeliveryResponse, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    let attribute = verifiable(&request.attribute_name)?;
    match verification::send_code(&pool, &user, attribute, crate::now()).await? {
        Sent::To(to) => Ok(CodeDeliveryResponse {
            code_delivery_details: code_delivery(&to),
        }),
        Sent::OverLimit => Err(ApiError::LimitExceeded),
        Sent::NothingToProve => Err(ApiError::InvalidParameter(format!(
            "The user has no {} to verify.",
            attribute.name()
        ))),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct VerifyUserAttributeRequest {
    access_token: String,
    attribute_name: String,
    code: String,
}

/// VerifyUserAttribute: the code proves the attribute (and completes a change of address).
pub(super) async fn verify_user_attribute(
    pool: UserPool,
    request: VerifyUserAttributeRequest,
) -> Result<Empty, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    let attribute = verifiable(&request.attribute_name)?;
    match verification::verify(&pool, &user, attribute, &request.code, crate::now()).await? {
        Ok(()) => Ok(Empty {}),
        Err(NotVerified::Code(refusal)) => Err(refusal.into()),
        Err(NotVerified::Taken) => Err(ApiError::AliasExists),
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct DeleteUserAttributesRequest {
    access_token: String,
    user_attribute_names: Vec<String>,
}

/// DeleteUserAttributes: the attributes the token's client may write.
pub(super) async fn delete_user_attributes(
    pool: UserPool,
    request: DeleteUserAttributesRequest,
) -> Result<Empty, ApiError> {
    let Holder {
        user, client_id, ..
    } = token_grant(&pool, &request.access_token).await?;
    let names = &request.user_attribute_names;
    if let Some(client) = pool.pool().client(&client_id) {
        super::check_writes(client, names.iter().map(String::as_str))?;
    }
    super::delete_attributes(&pool, &user, names).await?;
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct ChangePasswordRequest {
    access_token: String,
    /// Left out by a user who signed up without a password, as Cognito allows.
    previous_password: Option<String>,
    proposed_password: String,
}

/// The previous password is checked like a sign-in (same lockout); a user
/// without one sets their first.
pub(super) async fn change_password(
    pool: UserPool,
    request: ChangePasswordRequest,
) -> Result<Empty, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    let now = crate::now();
    let previous = match (&request.previous_password, user.passwordless) {
        (None, true) => {
            let proposed = &request.proposed_password;
            directory::set_password(&pool, &user, proposed, PasswordUse::Permanent, now).await??;
            return Ok(Empty {});
        }
        (None, false) => {
            return Err(ApiError::InvalidParameter(
                "PreviousPassword is required: the user has a password.".to_owned(),
            ));
        }
        (Some(previous), _) => previous,
    };
    match accounts::check_password(&pool, user.clone(), previous, now).await? {
        SignIn::Authenticated(_) => {}
        SignIn::Refused(refusal) => return Err(refusal.into()),
        SignIn::PasswordResetRequired => return Err(ApiError::PasswordResetRequired),
        SignIn::NeedsConfirmation | SignIn::NewPasswordRequired(_) => {
            return Err(ApiError::NotAuthorized("Invalid Access Token".to_owned()));
        }
    }
    let proposed = &request.proposed_password;
    directory::set_password(&pool, &user, proposed, PasswordUse::Permanent, now).await??;
    Ok(Empty {})
}

pub(super) async fn global_sign_out(
    pool: UserPool,
    request: AccessTokenRequest,
) -> Result<Empty, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    pool.store()
        .sign_out_everywhere(&user.sub, crate::now())
        .await?;
    Ok(Empty {})
}

/// DeleteUser: the user of the access token deletes their own account.
pub(super) async fn delete_user(
    pool: UserPool,
    request: AccessTokenRequest,
) -> Result<Empty, ApiError> {
    let user = token_holder(&pool, &request.access_token).await?;
    pool.store().delete_user(&user.sub).await?;
    tracing::info!(sub = %user.sub, "user deleted their account");
    Ok(Empty {})
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct GetTokensFromRefreshTokenRequest {
    refresh_token: String,
    client_id: String,
    client_secret: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct TokensResponse {
    authentication_result: AuthenticationResult,
}

/// GetTokensFromRefreshToken (what Amplify refreshes with): REFRESH_TOKEN_AUTH's
/// tokens, with a new refresh token where the client rotates them.
pub(super) async fn get_tokens_from_refresh_token(
    pool: UserPool,
    request: GetTokensFromRefreshTokenRequest,
) -> Result<TokensResponse, ApiError> {
    let client = client(&pool, &request.client_id)?;
    if !client.allows_flow(crate::config::ExplicitAuthFlow::RefreshToken) {
        return Err(not_enabled("REFRESH_TOKEN_AUTH"));
    }
    super::check_client_secret(client, request.client_secret.as_deref())?;
    let tokens = grants::refresh(&pool, client, &request.refresh_token, crate::now())
        .await?
        .map_err(|refusal| match refusal {
            RefreshRefusal::Reused => ApiError::RefreshTokenReuse,
            RefreshRefusal::Invalid => ApiError::NotAuthorized("Invalid Refresh Token".to_owned()),
        })?;
    Ok(TokensResponse {
        authentication_result: tokens.into(),
    })
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
pub(super) struct RevokeTokenRequest {
    token: String,
    client_id: String,
    client_secret: Option<String>,
}

/// Revokes a refresh token and its sign-in; an unknown token changes nothing.
pub(super) async fn revoke_token(
    pool: UserPool,
    request: RevokeTokenRequest,
) -> Result<Empty, ApiError> {
    let client = client(&pool, &request.client_id)?;
    super::check_client_secret(client, request.client_secret.as_deref())?;
    if client.revocation_disabled {
        return Err(ApiError::UnsupportedOperation(
            "Token revocation is not enabled for this app client.".to_owned(),
        ));
    }
    pool.store()
        .revoke_refresh_family(&secrets::digest(&request.token), &client.id, crate::now())
        .await?;
    Ok(Empty {})
}
