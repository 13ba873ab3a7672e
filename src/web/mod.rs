//! What every browser-facing and API surface of the pool shares over HTTP, below
//! them all (it imports none of them): the security headers, bearer tokens, cookies, redirects,
//! the error page and [`PageError`], whose pages they are for ([`Brand`]), CORS, the layers every request passes through
//! (body limit, timeout, request ids), the Host allow-list, the per-address
//! throttle and which pool a page is for (`current_pool`).

pub(crate) mod allowed_hosts;
pub(crate) mod bearer;
pub(crate) mod brand;
pub(crate) mod client_url;
mod cookies;
mod cors;
mod current_pool;
mod error_page;
mod headers;
pub(crate) mod layers;
mod page_error;
mod redirect;
pub(crate) mod throttle;

pub(crate) use bearer::bearer_token;
pub(crate) use brand::{Brand, logo_path};
pub(crate) use cookies::cookie;
pub(crate) use cors::{cors, cors_for};
pub(crate) use error_page::{brand_error_pages, error_page};
pub(crate) use headers::{OWN_SCRIPT, security_headers};
pub(crate) use page_error::{PageError, refuse_nul_page};
pub(crate) use redirect::found;
