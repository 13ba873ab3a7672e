//! The URLs that send a browser back to an app client with an answer: its
//! registered URL with parameters added (RFC 6749 §4.1.2).

use url::Url;

/// Appends parameters to a registered URL, keeping any query it already has.
pub(crate) fn with_query(base: &str, pairs: &[(&str, Option<&str>)]) -> String {
    match Url::parse(base) {
        Ok(mut url) => {
            {
                let mut query = url.query_pairs_mut();
                for (name, value) in pairs {
                    if let Some(value) = value {
                        query.append_pair(name, value);
                    }
                }
            }
            url.into()
        }
        // Registered URLs are validated when the configuration loads.
        Err(_) => base.to_owned(),
    }
}

/// An OAuth error response to the client (RFC 6749 §4.1.2.1).
pub(crate) fn error_url(
    redirect_uri: &str,
    error: &str,
    description: Option<&str>,
    state: Option<&str>,
) -> String {
    with_query(
        redirect_uri,
        &[
            ("error", Some(error)),
            ("error_description", description),
            ("state", state),
        ],
    )
}
