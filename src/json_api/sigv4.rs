//! AWS Signature Version 4 verification of the admin operations, as Amazon
//! Cognito does it: the `Authorization: AWS4-HMAC-SHA256 Credential=<key>/<date>/
//! <region>/cognito-idp/aws4_request, SignedHeaders=..., Signature=...` header
//! must name a configured access key (`[[admin_credentials]]`), this pool's
//! region and the `cognito-idp` service, a date that is `x-amz-date`'s, within
//! 15 minutes of now, and sign `host`. The expected signature is computed by
//! `aws-sigv4` (the SDK's signer) over the request as received: method, path,
//! query, exactly the signed headers and the body; it is compared in constant
//! time. Everything is a pure function of the request, the keys and the clock.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_sigv4::http_request::{SignableBody, SignableRequest, SigningSettings, sign};
use aws_sigv4::sign::v4;
use aws_smithy_runtime_api::client::identity::Identity;
use axum::http::{HeaderMap, Uri, header};
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::macros::format_description;

use super::ApiError;
use crate::config::AdminCredential;
use crate::secrets;

const ALGORITHM: &str = "AWS4-HMAC-SHA256";
const SERVICE: &str = "cognito-idp";
/// How far `x-amz-date` may be from the pool's clock, either way (AWS's window).
const MAX_SKEW: Duration = Duration::from_secs(15 * 60);
const AMZ_DATE: &[BorrowedFormatItem<'static>] =
    format_description!("[year][month][day]T[hour][minute][second]Z");

/// What the signature covers, as the pool received it.
pub(crate) struct SignedRequest<'a> {
    pub(crate) method: &'a str,
    pub(crate) uri: &'a Uri,
    pub(crate) headers: &'a HeaderMap,
    pub(crate) body: &'a [u8],
}

/// The parts of the `Authorization` header.
struct Authorization<'a> {
    access_key_id: &'a str,
    date: &'a str,
    region: &'a str,
    service: &'a str,
    terminator: &'a str,
    signed_headers: Vec<&'a str>,
    signature: &'a str,
}

/// Accepts `request` if a key of `credentials` signed it for `region` at most
/// 15 minutes from `now`; otherwise AWS's refusal.
pub(crate) fn verify(
    request: &SignedRequest<'_>,
    credentials: &[AdminCredential],
    region: &str,
    now: SystemTime,
) -> Result<(), ApiError> {
    let header = request
        .headers
        .get(header::AUTHORIZATION)
        .ok_or(ApiError::MissingAuthenticationToken)?;
    let auth = parse(header.to_str().unwrap_or_default())?;
    let amz_date = request
        .headers
        .get("x-amz-date")
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| {
            ApiError::IncompleteSignature(
                "Authorization header requires existence of a 'X-Amz-Date' header.".to_owned(),
            )
        })?;
    let signed_at = parse_amz_date(amz_date).ok_or_else(|| {
        ApiError::IncompleteSignature(format!(
            "X-Amz-Date must be in the ISO8601 Long Format (yyyyMMdd'T'HHmmss'Z'), not '{amz_date}'."
        ))
    })?;
    if !auth.signed_headers.contains(&"host") {
        return Err(ApiError::IncompleteSignature(
            "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.".to_owned(),
        ));
    }
    // The pool hands out no session tokens, so none can be valid.
    if request.headers.contains_key("x-amz-security-token") {
        return Err(ApiError::UnrecognizedClient);
    }
    let credential = credentials
        .iter()
        .find(|c| c.access_key_id == auth.access_key_id)
        .ok_or(ApiError::UnrecognizedClient)?;
    check_scope(&auth, region, amz_date)?;
    check_clock(signed_at, now)?;
    let expected =
        expected_signature(request, &auth, credential, region, signed_at).ok_or_else(mismatch)?;
    if secrets::equal(expected.as_bytes(), auth.signature.as_bytes()) {
        Ok(())
    } else {
        Err(mismatch())
    }
}

fn mismatch() -> ApiError {
    ApiError::InvalidSignature(
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.".to_owned(),
    )
}

/// `AWS4-HMAC-SHA256 Credential=..., SignedHeaders=..., Signature=...`, with AWS's
/// words for what is missing.
fn parse(value: &str) -> Result<Authorization<'_>, ApiError> {
    let fields = value
        .strip_prefix(ALGORITHM)
        .filter(|rest| rest.starts_with(' '))
        .unwrap_or_default();
    let field = |name: &str| {
        fields
            .split(',')
            .filter_map(|part| part.trim().split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value)
    };
    let (credential, signed_headers, signature) = match (
        field("Credential"),
        field("SignedHeaders"),
        field("Signature"),
    ) {
        (Some(c), Some(h), Some(s)) => (c, h, s),
        (c, h, s) => {
            let missing: Vec<String> = [("Credential", c), ("SignedHeaders", h), ("Signature", s)]
                .iter()
                .filter(|(_, found)| found.is_none())
                .map(|(name, _)| format!("Authorization header requires '{name}' parameter."))
                .collect();
            return Err(ApiError::IncompleteSignature(missing.join(" ")));
        }
    };
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key_id, date, region, service, terminator] = parts[..] else {
        return Err(ApiError::IncompleteSignature(format!(
            "Credential should be <access key id>/<date>/<region>/{SERVICE}/aws4_request, not '{credential}'."
        )));
    };
    Ok(Authorization {
        access_key_id,
        date,
        region,
        service,
        terminator,
        signed_headers: signed_headers.split(';').collect(),
        signature,
    })
}

fn parse_amz_date(value: &str) -> Option<SystemTime> {
    time::PrimitiveDateTime::parse(value, AMZ_DATE)
        .ok()
        .map(|t| t.assume_utc().into())
}

fn format_amz_date(at: SystemTime) -> String {
    OffsetDateTime::from(at)
        .format(AMZ_DATE)
        .unwrap_or_default()
}

/// The credential scope: this pool's region, Cognito's service, the request's date.
fn check_scope(auth: &Authorization<'_>, region: &str, amz_date: &str) -> Result<(), ApiError> {
    if auth.terminator != "aws4_request" {
        return Err(ApiError::InvalidSignature(format!(
            "Credential should be scoped with a valid terminator: 'aws4_request', not '{}'.",
            auth.terminator
        )));
    }
    if auth.service != SERVICE {
        return Err(ApiError::InvalidSignature(format!(
            "Credential should be scoped to correct service: '{SERVICE}'."
        )));
    }
    if auth.region != region {
        return Err(ApiError::InvalidSignature(format!(
            "Credential should be scoped to a valid region, not '{}'.",
            auth.region
        )));
    }
    if amz_date.get(..8) != Some(auth.date) {
        return Err(ApiError::InvalidSignature(format!(
            "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '{}' != '{}', from '{amz_date}'.",
            auth.date,
            amz_date.get(..8).unwrap_or_default()
        )));
    }
    Ok(())
}

/// A signature is good for 15 minutes either side of the pool's clock.
fn check_clock(signed_at: SystemTime, now: SystemTime) -> Result<(), ApiError> {
    let earliest = now.checked_sub(MAX_SKEW).unwrap_or(SystemTime::UNIX_EPOCH);
    let latest = now.checked_add(MAX_SKEW).unwrap_or(now);
    let (at, now_text) = (format_amz_date(signed_at), format_amz_date(now));
    if signed_at < earliest {
        Err(ApiError::InvalidSignature(format!(
            "Signature expired: {at} is now earlier than {} ({now_text} - 15 min.)",
            format_amz_date(earliest)
        )))
    } else if signed_at > latest {
        Err(ApiError::InvalidSignature(format!(
            "Signature not yet current: {at} is still later than {} ({now_text} + 15 min.)",
            format_amz_date(latest)
        )))
    } else {
        Ok(())
    }
}

/// What `credential` would have signed: `aws-sigv4` over the method, the path and
/// query, the headers named in `SignedHeaders` (as received) and the body.
/// `None` when the request cannot be signed at all (a header that is not text).
fn expected_signature(
    request: &SignedRequest<'_>,
    auth: &Authorization<'_>,
    credential: &AdminCredential,
    region: &str,
    signed_at: SystemTime,
) -> Option<String> {
    // HTTP/2 carries the host in the URI (`:authority`), not in a header.
    let authority = request.uri.authority().map(|a| a.as_str());
    let mut headers = Vec::new();
    for &name in &auth.signed_headers {
        // The signer adds x-amz-date itself, from the time it is given.
        if name == "x-amz-date" {
            continue;
        }
        let mut values = request.headers.get_all(name).iter().peekable();
        if name == "host" && values.peek().is_none() {
            headers.push((name, authority?));
        }
        for value in values {
            headers.push((name, value.to_str().ok()?));
        }
    }
    let path_and_query = request.uri.path_and_query().map_or("/", |p| p.as_str());
    let identity: Identity = Credentials::new(
        &credential.access_key_id,
        &credential.secret_access_key,
        None,
        None,
        "userpool",
    )
    .into();
    let mut settings = SigningSettings::default();
    // Sign exactly what the client named: the default would leave out some headers.
    settings.excluded_headers = None;
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(signed_at)
        .settings(settings)
        .build()
        .ok()?
        .into();
    let signable = SignableRequest::new(
        request.method,
        path_and_query,
        headers.into_iter(),
        SignableBody::Bytes(request.body),
    )
    .ok()?;
    let (_, signature) = sign(signable, &params).ok()?.into_parts();
    Some(signature)
}

/// The headers an AWS SDK sends for one JSON API call signed by
/// `access_key_id`/`secret` at `time` (tests only; aws-sigv4 as app/ signs).
#[cfg(test)]
pub(crate) fn signed_headers_for_tests(
    access_key_id: &str,
    secret: &str,
    region: &str,
    host: &str,
    operation: &str,
    body: &[u8],
    time: SystemTime,
) -> Vec<(String, String)> {
    let target = format!("AWSCognitoIdentityProviderService.{operation}");
    let mut headers = vec![
        ("content-type".to_owned(), super::CONTENT_TYPE.to_owned()),
        ("host".to_owned(), host.to_owned()),
        ("x-amz-target".to_owned(), target),
    ];
    let identity: Identity = Credentials::new(access_key_id, secret, None, None, "test").into();
    let params = v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(SERVICE)
        .time(time)
        .settings(SigningSettings::default())
        .build()
        .unwrap()
        .into();
    let signable = SignableRequest::new(
        "POST",
        format!("http://{host}/"),
        headers.iter().map(|(n, v)| (n.as_str(), v.as_str())),
        SignableBody::Bytes(body),
    )
    .unwrap();
    let (instructions, _) = sign(signable, &params).unwrap().into_parts();
    let added: Vec<(String, String)> = instructions
        .headers()
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    headers.extend(added);
    headers
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "AKIATESTKEY000000001";
    const SECRET: &str = "test-secret-access-key-0123456789";
    const HOST: &str = "127.0.0.1:9229";
    const BODY: &[u8] = br#"{"UserPoolId":"us-east-1_LocalPool"}"#;

    fn keys() -> Vec<AdminCredential> {
        vec![AdminCredential {
            access_key_id: KEY.to_owned(),
            secret_access_key: SECRET.to_owned(),
        }]
    }

    /// 2026-11-22T10:00:00Z, the clock of every test.
    fn now() -> SystemTime {
        parse_amz_date("20261122T100000Z").unwrap()
    }

    fn headers(list: Vec<(String, String)>) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in list {
            map.append(
                axum::http::HeaderName::from_bytes(name.as_bytes()).unwrap(),
                value.parse().unwrap(),
            );
        }
        map
    }

    fn signed(key: &str, secret: &str, region: &str, at: SystemTime) -> HeaderMap {
        headers(signed_headers_for_tests(
            key,
            secret,
            region,
            HOST,
            "ListUsers",
            BODY,
            at,
        ))
    }

    fn check(headers: &HeaderMap, body: &[u8], at: SystemTime) -> Result<(), ApiError> {
        let uri = Uri::from_static("/");
        let request = SignedRequest {
            method: "POST",
            uri: &uri,
            headers,
            body,
        };
        verify(&request, &keys(), "us-east-1", at)
    }

    fn message(result: Result<(), ApiError>) -> (&'static str, String) {
        let error = result.unwrap_err();
        (error.exception(), error.to_string())
    }

    /// Replaces `from` with `to` in the Authorization header.
    fn edit_authorization(headers: &mut HeaderMap, from: &str, to: &str) {
        let value = headers[header::AUTHORIZATION]
            .to_str()
            .unwrap()
            .replace(from, to);
        headers.insert(header::AUTHORIZATION, value.parse().unwrap());
    }

    #[test]
    fn a_request_signed_by_the_sdk_signer_with_a_configured_key_passes() {
        let headers = signed(KEY, SECRET, "us-east-1", now());
        check(&headers, BODY, now()).unwrap();
        // Within the window, either way.
        check(&headers, BODY, now() + Duration::from_secs(14 * 60)).unwrap();
        check(&headers, BODY, now() - Duration::from_secs(14 * 60)).unwrap();
    }

    #[test]
    fn a_wrong_secret_or_a_tampered_request_is_a_signature_mismatch() {
        let (kind, text) = message(check(
            &signed(KEY, "not-the-secret-0123456789", "us-east-1", now()),
            BODY,
            now(),
        ));
        assert_eq!(kind, "InvalidSignatureException");
        assert!(
            text.starts_with("The request signature we calculated does not match"),
            "{text}"
        );

        let headers = signed(KEY, SECRET, "us-east-1", now());
        let tampered = br#"{"UserPoolId":"us-east-1_LocalPool","Limit":1}"#;
        assert_eq!(
            message(check(&headers, tampered, now())).0,
            "InvalidSignatureException"
        );

        let mut other_target = headers.clone();
        other_target.insert(
            "x-amz-target",
            "AWSCognitoIdentityProviderService.AdminDeleteUser"
                .parse()
                .unwrap(),
        );
        assert_eq!(
            message(check(&other_target, BODY, now())).0,
            "InvalidSignatureException"
        );

        let mut other_host = headers.clone();
        other_host.insert(header::HOST, "evil.example:9229".parse().unwrap());
        assert_eq!(
            message(check(&other_host, BODY, now())).0,
            "InvalidSignatureException"
        );

        let mut bad_signature = headers;
        edit_authorization(&mut bad_signature, "Signature=", "Signature=0");
        assert_eq!(
            message(check(&bad_signature, BODY, now())).0,
            "InvalidSignatureException"
        );
    }

    #[test]
    fn an_unknown_key_or_a_session_token_is_not_recognised() {
        let (kind, text) = message(check(
            &signed("AKIAUNKNOWNKEY000001", SECRET, "us-east-1", now()),
            BODY,
            now(),
        ));
        assert_eq!(
            (kind, text.as_str()),
            (
                "UnrecognizedClientException",
                "The security token included in the request is invalid."
            )
        );
        let mut with_token = signed(KEY, SECRET, "us-east-1", now());
        with_token.insert("x-amz-security-token", "token".parse().unwrap());
        assert_eq!(
            message(check(&with_token, BODY, now())).0,
            "UnrecognizedClientException"
        );
    }

    #[test]
    fn the_scope_must_be_this_pools_region_cognitos_service_and_the_requests_date() {
        let (kind, text) = message(check(&signed(KEY, SECRET, "eu-west-1", now()), BODY, now()));
        assert_eq!(kind, "InvalidSignatureException");
        assert!(text.contains("valid region, not 'eu-west-1'"), "{text}");

        let mut other_service = signed(KEY, SECRET, "us-east-1", now());
        edit_authorization(&mut other_service, "/cognito-idp/", "/dynamodb/");
        let (kind, text) = message(check(&other_service, BODY, now()));
        assert_eq!(kind, "InvalidSignatureException");
        assert!(text.contains("correct service: 'cognito-idp'"), "{text}");

        let mut other_date = signed(KEY, SECRET, "us-east-1", now());
        edit_authorization(&mut other_date, "/20261122/", "/20261121/");
        let (kind, text) = message(check(&other_date, BODY, now()));
        assert_eq!(kind, "InvalidSignatureException");
        assert!(text.contains("'20261121' != '20261122'"), "{text}");
    }

    #[test]
    fn signatures_older_or_newer_than_15_minutes_have_expired() {
        let sixteen = Duration::from_secs(16 * 60);
        let (kind, text) = message(check(
            &signed(KEY, SECRET, "us-east-1", now() - sixteen),
            BODY,
            now(),
        ));
        assert_eq!(kind, "InvalidSignatureException");
        assert_eq!(
            text,
            "Signature expired: 20261122T094400Z is now earlier than 20261122T094500Z (20261122T100000Z - 15 min.)"
        );
        let (kind, text) = message(check(
            &signed(KEY, SECRET, "us-east-1", now() + sixteen),
            BODY,
            now(),
        ));
        assert_eq!(kind, "InvalidSignatureException");
        assert!(
            text.starts_with("Signature not yet current: 20261122T101600Z"),
            "{text}"
        );
    }

    #[test]
    fn host_and_x_amz_date_must_be_there_and_host_signed() {
        // SignedHeaders without host: the signer's canonical request always has it.
        let mut unsigned_host = signed(KEY, SECRET, "us-east-1", now());
        edit_authorization(&mut unsigned_host, "host;", "");
        let (kind, text) = message(check(&unsigned_host, BODY, now()));
        assert_eq!(kind, "IncompleteSignatureException");
        assert!(text.contains("'Host'"), "{text}");

        let mut no_date = signed(KEY, SECRET, "us-east-1", now());
        no_date.remove("x-amz-date");
        assert_eq!(
            message(check(&no_date, BODY, now())).0,
            "IncompleteSignatureException"
        );
        let mut bad_date = signed(KEY, SECRET, "us-east-1", now());
        bad_date.insert("x-amz-date", "2026-11-22T10:00:00Z".parse().unwrap());
        assert_eq!(
            message(check(&bad_date, BODY, now())).0,
            "IncompleteSignatureException"
        );

        // Without a Host header, an HTTP/2 request's authority stands in for it.
        let mut h2 = signed(KEY, SECRET, "us-east-1", now());
        h2.remove(header::HOST);
        let uri = Uri::from_static("http://127.0.0.1:9229/");
        let request = SignedRequest {
            method: "POST",
            uri: &uri,
            headers: &h2,
            body: BODY,
        };
        verify(&request, &keys(), "us-east-1", now()).unwrap();
        let uri = Uri::from_static("/");
        let request = SignedRequest {
            method: "POST",
            uri: &uri,
            headers: &h2,
            body: BODY,
        };
        assert!(verify(&request, &keys(), "us-east-1", now()).is_err());
    }

    #[test]
    fn a_missing_or_malformed_header_is_refused_and_no_keys_refuse_everything() {
        let mut none = signed(KEY, SECRET, "us-east-1", now());
        none.remove(header::AUTHORIZATION);
        assert_eq!(
            message(check(&none, BODY, now())).0,
            "MissingAuthenticationTokenException"
        );

        for bad in [
            "Bearer abc",
            "AWS4-HMAC-SHA256",
            "AWS4-HMAC-SHA256 Credential=fuzz",
            "AWS4-HMAC-SHA256 Credential=a/b, SignedHeaders=host, Signature=00",
            "AWS4-HMAC-SHA256Credential=x/20261122/us-east-1/cognito-idp/aws4_request, SignedHeaders=host, Signature=00",
        ] {
            let mut headers = signed(KEY, SECRET, "us-east-1", now());
            headers.insert(header::AUTHORIZATION, bad.parse().unwrap());
            assert_eq!(
                message(check(&headers, BODY, now())).0,
                "IncompleteSignatureException",
                "{bad}"
            );
        }

        let headers = signed(KEY, SECRET, "us-east-1", now());
        let uri = Uri::from_static("/");
        let request = SignedRequest {
            method: "POST",
            uri: &uri,
            headers: &headers,
            body: BODY,
        };
        assert_eq!(
            verify(&request, &[], "us-east-1", now())
                .unwrap_err()
                .exception(),
            "UnrecognizedClientException"
        );
    }
}
