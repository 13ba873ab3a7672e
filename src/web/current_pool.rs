//! Which user pool a hosted-UI or OAuth 2.0 request is for, by its `Host`:
//! the pool with the domain (CreateUserPoolDomain) the host's first label
//! names, as in `shop.localhost:9229`, or else the pool the configuration
//! declares; each as it is now (settings changed through the API included).
//! A handler that takes a [`UserPool`] gets it acting in that pool.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::UserPool;

impl FromRequestParts<UserPool> for UserPool {
    type Rejection = Response;

    async fn from_request_parts(
        parts: &mut Parts,
        server: &UserPool,
    ) -> Result<UserPool, Response> {
        let host = parts
            .headers
            .get(axum::http::header::HOST)
            .and_then(|value| value.to_str().ok());
        match server.for_host(host).await {
            Ok(Some(pool)) => Ok(pool),
            Ok(None) => Err(super::error_page(
                StatusCode::NOT_FOUND,
                "No user pool has this domain.",
                None,
            )),
            Err(error) => Err(super::PageError::from(error).into_response()),
        }
    }
}
