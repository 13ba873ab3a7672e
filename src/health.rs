//! `GET /healthz`: whether the pool can serve sign-ins, for load balancers and
//! orchestrators. It can when its database answers; the signing key is loaded
//! at start-up, so a running pool always has one.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::UserPool;

pub(crate) async fn health(State(pool): State<UserPool>) -> (StatusCode, Json<Value>) {
    match pool.store().ping().await {
        Ok(()) => (StatusCode::OK, Json(json!({ "status": "ok" }))),
        Err(error) => {
            tracing::error!(%error, "health check: the database does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({ "status": "unavailable", "database": "unreachable" })),
            )
        }
    }
}
