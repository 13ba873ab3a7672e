//! The second factor in the hosted UI. After a right password, where the
//! pool's `MfaConfiguration` asks for one (see `mfa`), the user is shown the
//! page for their authenticator app's code or a mailed one (answered at
//! `/mfa`), a choice between the two (`/mfa/choose`), or, where the pool
//! requires a factor and they have none, the set-up page: the app's secret as
//! a QR code (its `otpauth://` URI drawn as SVG on the server, no script) and
//! as text, and the app's first code (`/mfa/setup`). Wrong codes may be
//! corrected while the session lasts, and count toward the account's lockout.

use axum::extract::Form;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::flow::{Posted, after_sign_in, check_post, failed_attempt, login_form, render};
use super::pages::{MfaChoosePage, MfaCodePage, MfaSetupPage};
use crate::accounts::{self, Refusal, SignIn};
use crate::auth_factors::MfaFactor;
use crate::mfa::{self, Challenge};
use crate::signin::request::AuthRequest;
use crate::store::User;
use crate::web::PageError;
use crate::{UserPool, mail, totp, user_auth};

/// The page of the second step `user` (who gave the right password as
/// `username`) takes, if the pool asks for one.
pub(super) async fn second_step(
    pool: &UserPool,
    jar: &CookieJar,
    request: &AuthRequest,
    user: &User,
    username: &str,
    now: i64,
) -> Result<Option<Response>, PageError> {
    let Some(next) = mfa::next(pool, user).await? else {
        return Ok(None);
    };
    let challenge = match mfa::open(pool, &request.client_id, user, next, now).await? {
        Ok(challenge) => challenge,
        Err(refusal) => {
            return refused(pool, jar.clone(), request, username, refusal)
                .await
                .map(Some);
        }
    };
    let page = challenge_page(pool, jar.clone(), request, username, challenge, now).await?;
    Ok(Some(page))
}

/// Back to the sign-in page, saying why.
async fn refused(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    username: &str,
    refusal: Refusal,
) -> Result<Response, PageError> {
    let message = refusal.to_string();
    login_form(pool, jar, request, username, None, Some(&message))
        .await
        .map(failed_attempt)
}

async fn challenge_page(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    username: &str,
    challenge: Challenge,
    now: i64,
) -> Result<Response, PageError> {
    match challenge {
        Challenge::SoftwareToken { session, .. } => {
            let factor = MfaFactor::SoftwareToken;
            let prompt = Prompt::new(username, &session, factor, None);
            code_page(pool, jar, request, prompt, None)
        }
        Challenge::Sent {
            factor,
            session,
            destination,
        } => {
            let destination = mail::masked(&destination);
            let prompt = Prompt::new(username, &session, factor, Some(&destination));
            code_page(pool, jar, request, prompt, None)
        }
        Challenge::Choose { session, factors } => render(pool, jar, request, |form| MfaChoosePage {
            form,
            username,
            session: &session,
            app: factors.contains(&MfaFactor::SoftwareToken),
            email: factors.contains(&MfaFactor::Email),
            text: factors.contains(&MfaFactor::Sms),
            info: None,
            error: None,
        }),
        Challenge::SetUp { session, factors } if factors.contains(&MfaFactor::SoftwareToken) => {
            let Some((secret, session)) = mfa::associate_in_sign_in(pool, &session, now).await?
            else {
                return refused(pool, jar, request, username, Refusal::SessionExpired).await;
            };
            setup_page(pool, jar, request, username, &session, &secret, None)
        }
        Challenge::SetUp { session, factors } if factors.contains(&MfaFactor::Email) => {
            let client_id = &request.client_id;
            match mfa::set_up_email(pool, &session, client_id, username, now).await? {
                Ok(Challenge::Sent {
                    factor,
                    session,
                    destination,
                }) => {
                    let destination = mail::masked(&destination);
                    let prompt = Prompt::new(username, &session, factor, Some(&destination));
                    code_page(pool, jar, request, prompt, None)
                }
                Ok(_) | Err(_) => refused(pool, jar, request, username, Refusal::SessionExpired).await,
            }
        }
        Challenge::SetUp { .. } => Err(PageError::BadRequest(
            "This account needs a second sign-in step, and the user pool offers none it can set up. Ask an administrator."
                .to_owned(),
        )),
    }
}

/// What a code page asks for: `username`'s code of `factor` in `session`,
/// sent to `destination` (masked) where it was mailed or texted.
struct Prompt<'a> {
    username: &'a str,
    session: &'a str,
    factor: MfaFactor,
    destination: Option<&'a str>,
}

impl<'a> Prompt<'a> {
    fn new(
        username: &'a str,
        session: &'a str,
        factor: MfaFactor,
        destination: Option<&'a str>,
    ) -> Prompt<'a> {
        Prompt {
            username,
            session,
            factor,
            destination,
        }
    }
}

/// The code page: of the authenticator app, or of a mail or text message.
fn code_page(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    prompt: Prompt<'_>,
    error: Option<&str>,
) -> Result<Response, PageError> {
    render(pool, jar, request, |form| MfaCodePage {
        form,
        username: prompt.username,
        session: prompt.session,
        factor: prompt.factor.name(),
        texted: prompt.factor == MfaFactor::Sms,
        destination: prompt.destination,
        info: None,
        error,
    })
}

fn setup_page(
    pool: &UserPool,
    jar: CookieJar,
    request: &AuthRequest,
    username: &str,
    session: &str,
    secret: &str,
    error: Option<&str>,
) -> Result<Response, PageError> {
    let issuer = &pool.pool().name;
    let qr_svg = totp::uri(secret, issuer, username)
        .and_then(|uri| qr_svg(&uri))
        .unwrap_or_default();
    render(pool, jar, request, |form| MfaSetupPage {
        form,
        username,
        session,
        secret,
        qr_svg: &qr_svg,
        info: None,
        error,
    })
}

/// `text` as a QR code, an inline SVG element.
fn qr_svg(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color>()
        .min_dimensions(192, 192)
        .build();
    // The renderer writes a whole document: keep the element, and name it for screen readers.
    let element = svg.get(svg.find("<svg")?..)?;
    Some(element.replacen(
        "<svg ",
        "<svg role=\"img\" aria-label=\"QR code of the authenticator key\" ",
        1,
    ))
}

#[derive(Deserialize)]
pub(super) struct CodeAnswer {
    #[serde(default)]
    username: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    code: String,
    /// The masked address of a mailed code, shown again with an error.
    #[serde(default)]
    destination: Option<String>,
}

/// Signs in with the second factor's code.
pub(super) async fn answer(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<CodeAnswer>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let CodeAnswer {
        username,
        session,
        factor,
        code,
        destination,
    } = &posted.fields;
    let now = crate::now();
    let client_id = &request.client_id;
    let Some(factor) = MfaFactor::parse(factor) else {
        return Err(PageError::BadRequest("Unknown second factor.".to_owned()));
    };
    let outcome = match factor {
        MfaFactor::SoftwareToken => {
            mfa::answer_software_token(&pool, session, client_id, username, code, now).await?
        }
        MfaFactor::Email | MfaFactor::Sms => {
            user_auth::answer_code(&pool, session, client_id, username, code, now).await?
        }
    };
    match outcome {
        SignIn::Refused(refusal @ Refusal::WrongCode) => {
            let message = refusal.to_string();
            let destination = destination
                .as_deref()
                .filter(|_| factor != MfaFactor::SoftwareToken);
            let prompt = Prompt::new(username, session, factor, destination);
            code_page(&pool, jar, &request, prompt, Some(&message)).map(failed_attempt)
        }
        outcome => after_sign_in(&pool, jar, &request, username, outcome, now).await,
    }
}

#[derive(Deserialize)]
pub(super) struct Choice {
    #[serde(default)]
    username: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    factor: String,
}

/// The factor the user chose is asked for.
pub(super) async fn choose(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<Choice>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let Choice {
        username,
        session,
        factor,
    } = &posted.fields;
    let user = accounts::user_named(&pool, username).await?;
    let usable = match &user {
        Some(user) => mfa::usable(&pool, user).await?,
        None => Vec::new(),
    };
    let Some(factor) = MfaFactor::parse(factor).filter(|f| usable.contains(f)) else {
        return Err(PageError::BadRequest(
            "That second factor is not available for this account.".to_owned(),
        ));
    };
    let now = crate::now();
    match mfa::choose(&pool, session, &request.client_id, username, factor, now).await? {
        Ok(challenge) => challenge_page(&pool, jar, &request, username, challenge, now).await,
        Err(refusal) => refused(&pool, jar, &request, username, refusal).await,
    }
}

#[derive(Deserialize)]
pub(super) struct SetupAnswer {
    #[serde(default)]
    username: String,
    #[serde(default)]
    session: String,
    /// Shown again with an error; the code is checked against the stored secret only.
    #[serde(default)]
    secret: String,
    #[serde(default)]
    code: String,
}

/// The app's first code: TOTP is on and the sign-in ends.
pub(super) async fn setup(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<SetupAnswer>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let SetupAnswer {
        username,
        session,
        secret,
        code,
    } = &posted.fields;
    let now = crate::now();
    let device = Some("Authenticator app");
    match mfa::verify_in_sign_in(&pool, session, code, device, now).await? {
        Ok(next) => {
            let client_id = &request.client_id;
            let outcome = mfa::finish_setup(&pool, &next, client_id, username, now).await?;
            after_sign_in(&pool, jar, &request, username, outcome, now).await
        }
        Err(refusal @ Refusal::WrongCode) => {
            let message = refusal.to_string();
            setup_page(
                &pool,
                jar,
                &request,
                username,
                session,
                secret,
                Some(&message),
            )
            .map(failed_attempt)
        }
        Err(refusal) => refused(&pool, jar, &request, username, refusal).await,
    }
}
