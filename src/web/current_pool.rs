//! Which user pool a hosted-UI or OAuth 2.0 request is for: the pool the
//! configuration declares, as it is now (settings changed through the API
//! included). A handler that takes a [`UserPool`] gets it acting in that pool.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};

use crate::UserPool;

impl FromRequestParts<UserPool> for UserPool {
    type Rejection = Response;

    async fn from_request_parts(_: &mut Parts, server: &UserPool) -> Result<UserPool, Response> {
        match server.in_declared_pool().await {
            Ok(Some(pool)) => Ok(pool),
            Ok(None) => Err(super::error_page(
                StatusCode::NOT_FOUND,
                "This user pool does not exist.",
                None,
            )),
            Err(error) => Err(super::PageError::from(error).into_response()),
        }
    }
}
