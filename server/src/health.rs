//! `GET /healthz` on the app: whether it can judge sessions, that is whether
//! it holds the user pool's signing keys (fetching them if it has none yet).

use std::sync::Arc;

use app::verify::Verifier;
use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde_json::{Value, json};

pub async fn health(State(verifier): State<Arc<Verifier>>) -> (StatusCode, Json<Value>) {
    if verifier.ready().await {
        (StatusCode::OK, Json(json!({ "status": "ok" })))
    } else {
        (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "jwks": "no signing keys from the user pool" })),
        )
    }
}
