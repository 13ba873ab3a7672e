//! Signing in with a code mailed to the user (`EMAIL_OTP`, where the pool's
//! `SignInPolicy` allows it): the sign-in page's "Email me a code instead"
//! posts the name to `/emailCode`, which mails the code and shows where to
//! enter it; `/emailCode/confirm` checks it. The pages say the same whether
//! or not the name has an account (`user_auth` mails only real, verified
//! addresses), and a wrong code may be corrected while the session lasts.

use axum::extract::Form;
use axum::response::Response;
use axum_extra::extract::CookieJar;
use serde::Deserialize;

use super::flow::{
    Posted, Username, after_sign_in, check_post, failed_attempt, login_form, render,
};
use super::pages::EmailCodePage;
use crate::UserPool;
use crate::accounts::{self, Refusal, SignIn};
use crate::auth_factors::AuthFactor;
use crate::user_auth::{self, CodeSent, MailedCode};
use crate::web::PageError;

/// Shown whether or not the name has an account.
const CODE_SENT: &str =
    "If this email belongs to an account with a verified address, we have sent it a sign-in code.";
const TOO_MANY_CODES: &str =
    "Too many codes were sent to this email. Try again in an hour, or sign in with your password.";

/// Mails a sign-in code to the account the name belongs to.
pub(super) async fn send(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<Username>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    if !pool
        .pool()
        .settings
        .policies
        .sign_in_policy
        .allows(AuthFactor::EmailOtp)
    {
        return Err(PageError::BadRequest(
            "This user pool does not offer sign-in with an emailed code.".to_owned(),
        ));
    }
    let username = posted.fields.username.trim();
    let now = crate::now();
    let user = accounts::user_named(&pool, username).await?;
    match user_auth::send_code(
        &pool,
        &request.client_id,
        username,
        user.as_ref(),
        MailedCode::SignIn,
        now,
    )
    .await?
    {
        CodeSent::Sent { session, .. } => render(&pool, jar, &request, |form| EmailCodePage {
            form,
            username,
            session: &session,
            info: Some(CODE_SENT),
            error: None,
        }),
        CodeSent::OverLimit => {
            login_form(&pool, jar, &request, username, None, Some(TOO_MANY_CODES)).await
        }
    }
}

#[derive(Deserialize)]
pub(super) struct CodeAnswer {
    #[serde(default)]
    username: String,
    #[serde(default)]
    session: String,
    #[serde(default)]
    code: String,
}

/// Signs in with the mailed code.
pub(super) async fn confirm(
    pool: UserPool,
    jar: CookieJar,
    Form(posted): Form<Posted<CodeAnswer>>,
) -> Result<Response, PageError> {
    let request = check_post(&pool, &jar, &posted, "/login", &[])?;
    let CodeAnswer {
        username,
        session,
        code,
    } = &posted.fields;
    let now = crate::now();
    let client_id = &request.client_id;
    match user_auth::answer_code(&pool, session, client_id, username, code, now).await? {
        SignIn::Refused(refusal @ Refusal::WrongCode) => {
            let message = refusal.to_string();
            render(&pool, jar, &request, |form| EmailCodePage {
                form,
                username,
                session,
                info: None,
                error: Some(&message),
            })
            .map(failed_attempt)
        }
        outcome => after_sign_in(&pool, jar, &request, username, outcome, now).await,
    }
}
