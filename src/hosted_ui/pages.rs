//! The hosted UI's pages as askama templates (auto-escaped HTML), and the data
//! every form carries: the CSRF token, the OAuth parameters as hidden fields,
//! and the pool's name and branding.

use crate::signin::request::AuthRequest;
use crate::web::Brand;
use askama::Template;

/// What each form needs besides its own fields.
pub(crate) struct FormContext {
    pub(crate) csrf: String,
    /// The OAuth parameters, re-validated when the form comes back.
    pub(crate) hidden: Vec<(&'static str, String)>,
    /// The same parameters as a query string, for links between pages.
    pub(crate) query: String,
    pub(crate) cancel_url: String,
    /// The pool's name and the client's branding, on every page of a sign-in: whose sign-in this is.
    pub(crate) brand: Brand,
}

impl FormContext {
    pub(crate) fn new(request: &AuthRequest, csrf: String, brand: Brand) -> FormContext {
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
            brand,
        }
    }
}

#[derive(Template)]
#[template(path = "login.html")]
pub(crate) struct LoginPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    /// The pool lets people sign in with a mailed code (`EMAIL_OTP`).
    pub(crate) email_code: bool,
    /// The pool lets people sign in with a passkey (`WEB_AUTHN`).
    pub(crate) passkey: bool,
    /// The session and the options (JSON) of a sign-in with whichever passkey
    /// the browser offers in the username field's autofill.
    pub(crate) autofill: Option<(&'a str, &'a str)>,
    /// "Continue with <name>": the client's upstream identity providers, each
    /// with the query of the authorization request that goes there.
    pub(crate) providers: Vec<(String, String)>,
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

/// A code mailed to sign in with (`EMAIL_OTP`), and the session it answers.
#[derive(Template)]
#[template(path = "email_code.html")]
pub(crate) struct EmailCodePage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) session: &'a str,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

/// A second factor's code: of the authenticator app, or mailed or texted to
/// `destination` (masked).
#[derive(Template)]
#[template(path = "mfa_code.html")]
pub(crate) struct MfaCodePage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) session: &'a str,
    /// `SOFTWARE_TOKEN_MFA`, `EMAIL_OTP` or `SMS_MFA`.
    pub(crate) factor: &'a str,
    /// The code went by text message (else by mail, where there is a destination).
    pub(crate) texted: bool,
    pub(crate) destination: Option<&'a str>,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

/// The user picks which of their second factors to use (`SELECT_MFA_TYPE`).
#[derive(Template)]
#[template(path = "mfa_choose.html")]
pub(crate) struct MfaChoosePage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) session: &'a str,
    pub(crate) app: bool,
    pub(crate) email: bool,
    pub(crate) text: bool,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

/// An authenticator app set up in the sign-in (`MFA_SETUP`): its secret as a
/// QR code (SVG, drawn on the server) and as text, and its first code.
#[derive(Template)]
#[template(path = "mfa_setup.html")]
pub(crate) struct MfaSetupPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) session: &'a str,
    pub(crate) secret: &'a str,
    pub(crate) qr_svg: &'a str,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

/// The browser is asked for a passkey (`WEB_AUTHN`); `options` are the request's.
#[derive(Template)]
#[template(path = "passkey.html")]
pub(crate) struct PasskeyPage<'a> {
    pub(crate) form: FormContext,
    pub(crate) username: &'a str,
    pub(crate) session: &'a str,
    /// `PublicKeyCredentialRequestOptionsJSON`.
    pub(crate) options: &'a str,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}

/// After a password sign-in: add a passkey (`options` are the registration's), or go on to `back`.
#[derive(Template)]
#[template(path = "passkey_offer.html")]
pub(crate) struct PasskeyOfferPage<'a> {
    pub(crate) form: FormContext,
    /// `PublicKeyCredentialCreationOptionsJSON`.
    pub(crate) options: &'a str,
    /// The client's URL, with the sign-in's code.
    pub(crate) back: &'a str,
    pub(crate) info: Option<&'a str>,
    pub(crate) error: Option<&'a str>,
}
