//! The hosted UI's pages as askama templates (auto-escaped HTML), and the data
//! every form carries: the CSRF token and the OAuth parameters as hidden fields.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};

use crate::oauth2::request::AuthRequest;

/// What each form needs besides its own fields.
pub(crate) struct FormContext {
    pub(crate) csrf: String,
    /// The OAuth parameters, re-validated when the form comes back.
    pub(crate) hidden: Vec<(&'static str, String)>,
    /// The same parameters as a query string, for links between pages.
    pub(crate) query: String,
    pub(crate) cancel_url: String,
}

impl FormContext {
    pub(crate) fn new(request: &AuthRequest, csrf: String) -> FormContext {
        FormContext {
            csrf,
            hidden: request
                .params
                .pairs()
                .into_iter()
                .map(|(name, value)| (name, value.to_owned()))
                .collect(),
            query: request.params.query(&[]),
            cancel_url: request.cancel_url(),
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "signup.html")]
pub(crate) struct SignupPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) minimum_length: usize,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct ConfirmPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "forgot_password.html")]
pub(crate) struct ForgotPasswordPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "confirm_forgot_password.html")]
pub(crate) struct ConfirmForgotPasswordPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) minimum_length: usize,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

/// The `NEW_PASSWORD_REQUIRED` challenge: a temporary password must be replaced.
#[derive(Template)]
#[template(path = "new_password.html")]
pub(crate) struct NewPasswordPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) session: &'a str,
    pub(crate) minimum_length: usize,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    message: &'a str,
    retry: Option<&'a str>,
}

/// The pool's own error page; `retry` offers a way to start again.
pub(crate) fn error_page(status: StatusCode, message: &str, retry: Option<&str>) -> Response {
    match (ErrorPage { message, retry }).render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(error) => {
            tracing::error!(%error, "rendering the error page");
            (StatusCode::INTERNAL_SERVER_ERROR, "Internal error").into_response()
        }
    }
}
