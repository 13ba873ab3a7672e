//! Signing in, as the hosted UI and the OAuth 2.0 endpoints share it: the
//! authorization request (`request`), the SSO session (`session`), and answering
//! a request once its user is authenticated, with a code or (implicit clients)
//! tokens in the fragment. Below both surfaces: it imports neither.

pub(crate) mod answer;
pub(crate) mod request;
pub(crate) mod session;
