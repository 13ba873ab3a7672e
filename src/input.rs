//! The one rule every request's text obeys before any handler reads it: no
//! U+0000. PostgreSQL cannot store it in text (SQLite can), so one let through
//! would fail half-way, as a 500; no field of Cognito's accepts it either. The
//! JSON API checks every key and string of its body ([`json_has_nul`]); the
//! hosted UI and the OAuth 2.0 endpoints check the query string and form body
//! ([`refuse_nul`]), each answering in its own shape.

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

/// Whether any key or string in `value` holds U+0000.
pub(crate) fn json_has_nul(value: &Value) -> bool {
    match value {
        Value::String(s) => s.contains('\0'),
        Value::Array(items) => items.iter().any(json_has_nul),
        Value::Object(map) => map
            .iter()
            .any(|(key, value)| key.contains('\0') || json_has_nul(value)),
        Value::Null | Value::Bool(_) | Value::Number(_) => false,
    }
}

/// Whether a URL-encoded query or form holds U+0000, raw or percent-encoded.
fn form_has_nul(encoded: &[u8]) -> bool {
    encoded.contains(&0)
        || url::form_urlencoded::parse(encoded)
            .any(|(key, value)| key.contains('\0') || value.contains('\0'))
}

/// Answers `refusal` to a request whose query string or body holds U+0000.
/// The body is already in memory (`web::layers` buffers and limits it).
pub(crate) async fn refuse_nul<R: IntoResponse>(
    request: Request,
    next: Next,
    refusal: impl FnOnce() -> R,
) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return refusal().into_response();
    };
    if parts
        .uri
        .query()
        .is_some_and(|q| form_has_nul(q.as_bytes()))
        || form_has_nul(&body)
    {
        return refusal().into_response();
    }
    next.run(Request::from_parts(parts, Body::from(body))).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nul_is_found_in_any_key_or_string() {
        assert!(!json_has_nul(
            &serde_json::json!({"A": ["b", 1, null, {"c": "d"}]})
        ));
        assert!(json_has_nul(
            &serde_json::json!({"A": ["b", {"c": "d\u{0}"}]})
        ));
        assert!(json_has_nul(&serde_json::json!({"A\u{0}": 1})));
        assert!(!form_has_nul(b"a=b&c=%01"));
        assert!(form_has_nul(b"a=b&c=x%00y"));
        assert!(form_has_nul(b"a%00=b"));
        assert!(form_has_nul(b"a=\0"));
    }
}
