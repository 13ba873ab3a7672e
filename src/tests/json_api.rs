//! The JSON API as the AWS SDKs call it: signed admin operations, Cognito's wire format, U+0000, administrator-created users, concurrent creations.

use super::*;

#[tokio::test]
async fn admin_operations_need_a_valid_signature_by_a_configured_key() {
    let mut browser = Browser::new().await;
    let list = format!(r#"{{"UserPoolId":"{}"}}"#, browser.pool.config().pool_id());
    let (key, secret) = browser.pool.config().admin_credential().unwrap();
    let (key, secret) = (key.to_owned(), secret.to_owned());
    let now = std::time::SystemTime::now();

    let reply = browser
        .cognito_signed_by("ListUsers", &list, &key, &secret, now)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);

    // Each refusal is AWS's, with its type in x-amzn-ErrorType, and changes nothing.
    let create = format!(
        r#"{{"UserPoolId":"{}","Username":"mallory@example.com","MessageAction":"SUPPRESS"}}"#,
        browser.pool.config().pool_id()
    );
    let fifteen_minutes_ago = now - std::time::Duration::from_secs(16 * 60);
    for (reply, status, expected) in [
        (
            browser
                .cognito_signed_by(
                    "AdminCreateUser",
                    &create,
                    &key,
                    "a-wrong-secret-0123456789",
                    now,
                )
                .await,
            StatusCode::BAD_REQUEST,
            "InvalidSignatureException",
        ),
        (
            browser
                .cognito_signed_by(
                    "AdminCreateUser",
                    &create,
                    "AKIANOTCONFIGURED001",
                    &secret,
                    now,
                )
                .await,
            StatusCode::BAD_REQUEST,
            "UnrecognizedClientException",
        ),
        (
            browser
                .cognito_signed_by(
                    "AdminCreateUser",
                    &create,
                    &key,
                    &secret,
                    fifteen_minutes_ago,
                )
                .await,
            StatusCode::BAD_REQUEST,
            "InvalidSignatureException",
        ),
        (
            browser.cognito("AdminCreateUser", &create, false).await,
            StatusCode::FORBIDDEN,
            "MissingAuthenticationTokenException",
        ),
    ] {
        assert_eq!(
            (reply.status, reply.json()["__type"].as_str()),
            (status, Some(expected)),
            "{}",
            reply.body
        );
        assert_eq!(
            reply.header(header::HeaderName::from_static("x-amzn-errortype")),
            expected
        );
    }
    let reply = browser.cognito("ListUsers", &list, true).await;
    assert!(!reply.body.contains("mallory"), "{}", reply.body);

    // A pool without admin credentials refuses every admin operation.
    let start = CONFIG.find("[[admin_credentials]]").unwrap();
    let end = start + CONFIG[start..].find("\n\n").unwrap();
    let mut config = Config::from_toml(&format!("{}{}", &CONFIG[..start], &CONFIG[end..])).unwrap();
    assert_eq!(config.admin_credential(), None);
    let dir = tempfile::tempdir().unwrap();
    config.set_data_dir(dir.path());
    let mut bare = Browser::open((config, dir)).await;
    let reply = bare
        .cognito_signed_by("ListUsers", &list, &key, &secret, now)
        .await;
    assert_eq!(reply.json()["__type"], "UnrecognizedClientException");
}

#[tokio::test]
async fn the_json_api_speaks_cognitos_wire_format() {
    let mut browser = Browser::new().await;
    let scripts = "5cr1pt5c1ient0leptos0cog";

    let reply = browser
        .cognito(
            "SignUp",
            &format!(
                r#"{{"ClientId":"{scripts}","Username":"Carol@Example.com","Password":"{PASSWORD}"}}"#
            ),
            false,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(
        reply.header(header::CONTENT_TYPE),
        "application/x-amz-json-1.1"
    );
    let signed_up = reply.json();
    assert_eq!(signed_up["UserConfirmed"], false);
    assert_eq!(signed_up["CodeDeliveryDetails"]["Destination"], "c***@e***");
    let code = browser.last_code("carol@example.com").await;
    let reply = browser
        .cognito(
            "ConfirmSignUp",
            &format!(
                r#"{{"ClientId":"{scripts}","Username":"carol@example.com","ConfirmationCode":"{code}"}}"#
            ),
            false,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    // The session that signs the new user in once through USER_AUTH.
    assert!(
        reply.json()["Session"]
            .as_str()
            .is_some_and(|s| s.len() >= 32)
    );

    // Errors: HTTP 400, `__type` and `message`, and the type in x-amzn-ErrorType.
    let reply = browser
        .cognito(
            "InitiateAuth",
            &format!(
                r#"{{"ClientId":"{scripts}","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"carol@example.com","PASSWORD":"wrong password"}}}}"#
            ),
            false,
        )
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        reply.json(),
        serde_json::json!({"__type": "NotAuthorizedException", "message": "Incorrect username or password."})
    );
    assert_eq!(
        reply.header(header::HeaderName::from_static("x-amzn-errortype")),
        "NotAuthorizedException"
    );

    let reply = browser
        .cognito(
            "InitiateAuth",
            &format!(
                r#"{{"ClientId":"{scripts}","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"carol@example.com","PASSWORD":"{PASSWORD}"}}}}"#
            ),
            false,
        )
        .await;
    let result = &reply.json()["AuthenticationResult"];
    let id = verify(
        &mut browser,
        result["IdToken"].as_str().unwrap(),
        Some(scripts),
    )
    .await;
    assert_eq!(id["email"], "carol@example.com");
    let access = verify(&mut browser, result["AccessToken"].as_str().unwrap(), None).await;
    assert_eq!(access["scope"], "aws.cognito.signin.user.admin");

    // Admin operations need a signature and this pool's id.
    let list = format!(r#"{{"UserPoolId":"{}"}}"#, browser.pool.config().pool_id());
    let reply = browser.cognito("ListUsers", &list, false).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(
        reply.json()["__type"],
        "MissingAuthenticationTokenException"
    );
    let reply = browser.cognito("ListUsers", &list, true).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["Users"][0]["UserStatus"], "CONFIRMED");
    let reply = browser
        .cognito("ListUsers", r#"{"UserPoolId":"us-east-1_Other"}"#, true)
        .await;
    assert_eq!(reply.json()["__type"], "ResourceNotFoundException");

    // Malformed requests change nothing and never reach an operation.
    for (operation, body, expected) in [
        ("SignUp", "{", "SerializationException"),
        ("SignUp", "{}", "InvalidParameterException"),
        ("SignUp", r#"{"ClientId":7}"#, "InvalidParameterException"),
    ] {
        let reply = browser.cognito(operation, body, false).await;
        assert_eq!(reply.json()["__type"], expected, "{operation} {body}");
    }
    let reply = browser.cognito("NoSuchOperation", &list, true).await;
    assert_eq!(reply.json()["__type"], "UnknownOperationException");
    // An operation the pool does not answer is unknown whatever comes with it:
    // unsigned, signed, without a pool id, or with a body that is not JSON.
    for (operation, body, signed) in [
        ("NoSuchOperation", "{}", false),
        ("StartUserImportJob", "{}", false),
        ("StartUserImportJob", "{}", true),
        ("StartUserImportJob", "not json", false),
        ("StartUserImportJob", list.as_str(), true),
    ] {
        let reply = browser.cognito(operation, body, signed).await;
        let context = format!("{operation} {body} {signed}");
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{context}");
        assert_eq!(
            reply.json()["__type"],
            "UnknownOperationException",
            "{context}"
        );
    }
}

/// U+0000, which PostgreSQL cannot store, is refused at every boundary before
/// anything is written: each interface in its own error shape, never a 500.
#[tokio::test]
async fn nul_characters_are_refused_before_anything_is_written() {
    let mut browser = Browser::new().await;
    let scripts = "5cr1pt5c1ient0leptos0cog";
    let pool_id = browser.pool.config().pool_id().to_owned();
    let nul = r"\u0000";
    let sign_up = format!(
        r#"{{"ClientId":"{scripts}","Username":"user@example.com","Password":"{PASSWORD}"}}"#
    );
    assert_eq!(
        browser.cognito("SignUp", &sign_up, false).await.status,
        StatusCode::OK
    );
    let calls = [
        (
            "SignUp",
            format!(
                r#"{{"ClientId":"{scripts}","Username":"nul@example.com","Password":"{PASSWORD}","UserAttributes":[{{"Name":"name","Value":"a{nul}b"}}]}}"#
            ),
            false,
        ),
        (
            "SignUp",
            format!(
                r#"{{"ClientId":"{scripts}","Username":"nul{nul}@example.com","Password":"{PASSWORD}"}}"#
            ),
            false,
        ),
        (
            "SignUp",
            format!(
                r#"{{"ClientId":"{scripts}","Username":"nul@example.com","Password":"{PASSWORD}","Extra{nul}":1}}"#
            ),
            false,
        ),
        (
            "ForgotPassword",
            format!(r#"{{"ClientId":"{scripts}","Username":"user{nul}@example.com"}}"#),
            false,
        ),
        (
            "InitiateAuth",
            format!(
                r#"{{"ClientId":"{scripts}","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"user@example.com{nul}","PASSWORD":"{PASSWORD}"}}}}"#
            ),
            false,
        ),
        (
            "AdminGetUser",
            format!(r#"{{"UserPoolId":"{pool_id}","Username":"user{nul}@example.com"}}"#),
            true,
        ),
        (
            "CreateGroup",
            format!(r#"{{"UserPoolId":"{pool_id}","GroupName":"nul{nul}group"}}"#),
            true,
        ),
        (
            "ListUsers",
            format!(r#"{{"UserPoolId":"{pool_id}","Filter":"email = \"user{nul}\""}}"#),
            true,
        ),
        (
            "AdminUpdateUserAttributes",
            format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"user@example.com","UserAttributes":[{{"Name":"name","Value":"{nul}"}}]}}"#
            ),
            true,
        ),
    ];
    for (operation, body, signed) in calls {
        let reply = browser.cognito(operation, &body, signed).await;
        assert_eq!(
            reply.status,
            StatusCode::BAD_REQUEST,
            "{operation}: {}",
            reply.body
        );
        assert_eq!(
            reply.json()["__type"],
            "InvalidParameterException",
            "{operation}"
        );
    }
    let pool = browser.pool.clone();
    let store = pool.store();
    assert!(
        store
            .user_by_email("nul@example.com")
            .await
            .unwrap()
            .is_none()
    );
    let user = store
        .user_by_email("user@example.com")
        .await
        .unwrap()
        .unwrap();
    assert!(
        store
            .attributes(&user.sub)
            .await
            .unwrap()
            .iter()
            .all(|(name, _)| name != "name")
    );
    let groups = store.list_groups(None, 60).await.unwrap();
    assert!(groups.items.iter().all(|g| !g.name.starts_with("nul")));

    // The hosted UI: its error page. A form post with a valid CSRF token...
    let params = oauth_params("s");
    let page = browser.get(&format!("/signup?{}", query(&params))).await;
    let csrf = page.csrf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("username", "nul@example.com"),
        ("password", "correct horse\0battery"),
    ];
    let reply = browser.post("/signup", &form(&params, &fields)).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert!(reply.body.contains("U+0000"), "{}", reply.body);
    assert!(
        store
            .user_by_email("nul@example.com")
            .await
            .unwrap()
            .is_none()
    );
    // ... and a query string.
    let reply = browser
        .get(&format!("/login?{}", query(&oauth_params("s\0"))))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);

    // The token endpoint: `invalid_request`.
    let reply = browser.exchange(&code_grant("x\0y")).await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
    assert_eq!(reply.json()["error"], "invalid_request");
}

#[tokio::test]
async fn a_user_created_by_an_admin_chooses_a_password_at_first_sign_in() {
    let mut browser = Browser::new().await;
    let pool_id = browser.pool.config().pool_id().to_owned();
    let reply = browser
        .cognito(
            "AdminCreateUser",
            &format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"dave@example.com","TemporaryPassword":"temporary pw"}}"#
            ),
            true,
        )
        .await;
    assert_eq!(reply.json()["User"]["UserStatus"], "FORCE_CHANGE_PASSWORD");

    // The temporary password leads to the new-password page, not to the client.
    let params = oauth_params("s");
    let page = browser.get(&format!("/login?{}", query(&params))).await;
    let csrf = page.csrf();
    let login = [
        ("_csrf", csrf.as_str()),
        ("username", "dave@example.com"),
        ("password", "temporary pw"),
    ];
    let reply = browser.post("/login", &form(&params, &login)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("Change your password"),
        "{}",
        reply.body
    );
    assert!(!browser.cookies.contains_key("cognito"));
    let session = reply.field("session");
    let csrf = reply.csrf();

    // A forged session, or one for someone else, starts over at sign-in.
    let forged = [
        ("_csrf", csrf.as_str()),
        ("session", "e30.e30.e30"),
        ("username", "dave@example.com"),
        ("password", "my own password"),
    ];
    let reply = browser.post("/newPassword", &form(&params, &forged)).await;
    assert!(reply.body.contains("session is expired"), "{}", reply.body);

    // Too short: the same page again, with the policy's words.
    let fields = [
        ("_csrf", csrf.as_str()),
        ("session", session.as_str()),
        ("username", "dave@example.com"),
        ("password", "short"),
    ];
    let reply = browser.post("/newPassword", &form(&params, &fields)).await;
    assert!(
        reply.body.contains("Password not long enough"),
        "{}",
        reply.body
    );

    let fields = [
        ("_csrf", csrf.as_str()),
        ("session", session.as_str()),
        ("username", "dave@example.com"),
        ("password", "my own password"),
    ];
    let reply = browser.post("/newPassword", &form(&params, &fields)).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let code = code_from(reply.location().unwrap());
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let id = verify(
        &mut browser,
        tokens["id_token"].as_str().unwrap(),
        Some(CLIENT),
    )
    .await;
    assert_eq!(id["email"], "dave@example.com");

    // The session is spent: answering again starts over.
    let reply = browser.post("/newPassword", &form(&params, &fields)).await;
    assert!(reply.body.contains("session is expired"), "{}", reply.body);
}

/// 50 sign-ups with one email at once: one creates the account, every other
/// is told it exists (or, past the Argon2 queue, to retry) and changes nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_sign_ups_with_one_email_create_one_account() {
    let mut browser = Browser::new().await;
    let scripts = "5cr1pt5c1ient0leptos0cog";
    let email = "racer@example.com";
    let password = |n: usize| format!("password number {n}");
    let replies = at_once(&browser, 50, "SignUp", false, |n| {
        serde_json::json!({"ClientId": scripts, "Username": email, "Password": password(n)})
            .to_string()
    })
    .await;
    let winner = only_winner(
        &replies,
        &["UsernameExistsException", "TooManyRequestsException"],
    );

    // One code was mailed, and the winner's password is the account's.
    let mail = browser.get(&format!("/_dev/outbox.json?to={email}")).await;
    assert_eq!(mail.json().as_array().unwrap().len(), 1, "{}", mail.body);
    let code = browser.last_code(email).await;
    let confirm =
        serde_json::json!({"ClientId": scripts, "Username": email, "ConfirmationCode": code});
    let reply = browser
        .cognito("ConfirmSignUp", &confirm.to_string(), false)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let sign_in = serde_json::json!({
        "ClientId": scripts,
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": password(winner)},
    });
    let reply = browser
        .cognito("InitiateAuth", &sign_in.to_string(), false)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
}

/// 20 administrators creating one group, then one user, at once: one of each.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_admin_creations_make_one_group_and_one_user() {
    let mut browser = Browser::new().await;
    let pool_id = browser.pool.config().pool_id().to_owned();
    let replies = at_once(&browser, 20, "CreateGroup", true, |n| {
        serde_json::json!({"UserPoolId": pool_id, "GroupName": "racers", "Precedence": n})
            .to_string()
    })
    .await;
    let winner = only_winner(&replies, &["GroupExistsException"]);
    let reply = browser
        .cognito(
            "GetGroup",
            &serde_json::json!({"UserPoolId": pool_id, "GroupName": "racers"}).to_string(),
            true,
        )
        .await;
    assert_eq!(reply.json()["Group"]["Precedence"], winner);

    let email = "invited@example.com";
    let temporary = |n: usize| format!("temporary number {n}");
    let replies = at_once(&browser, 20, "AdminCreateUser", true, |n| {
        serde_json::json!({
            "UserPoolId": pool_id,
            "Username": email,
            "TemporaryPassword": temporary(n),
            "MessageAction": "SUPPRESS",
        })
        .to_string()
    })
    .await;
    let winner = only_winner(
        &replies,
        &["UsernameExistsException", "TooManyRequestsException"],
    );
    // The winner's temporary password is the one to replace.
    let sign_in = serde_json::json!({
        "ClientId": "5cr1pt5c1ient0leptos0cog",
        "AuthFlow": "USER_PASSWORD_AUTH",
        "AuthParameters": {"USERNAME": email, "PASSWORD": temporary(winner)},
    });
    let reply = browser
        .cognito("InitiateAuth", &sign_in.to_string(), false)
        .await;
    assert_eq!(
        reply.json()["ChallengeName"],
        "NEW_PASSWORD_REQUIRED",
        "{}",
        reply.body
    );
}

/// The declared "scripts" client, which has the JSON API's sign-in flows.
const SCRIPTS_CLIENT: &str = "5cr1pt5c1ient0leptos0cog";

/// One `USER_SRP_AUTH` sign-in through the JSON API, as the SDKs' SRP helpers make it: the
/// reply to the `PASSWORD_VERIFIER` answer.
async fn srp_sign_in(browser: &mut Browser, username: &str, password: &str) -> Reply {
    let pool_id = browser.pool.config().pool_id().to_owned();
    let client = crate::srp::TestClient::new();
    let initiated = browser
        .cognito(
            "InitiateAuth",
            &serde_json::json!({
                "ClientId": SCRIPTS_CLIENT,
                "AuthFlow": "USER_SRP_AUTH",
                "AuthParameters": { "USERNAME": username, "SRP_A": client.a_public },
            })
            .to_string(),
            false,
        )
        .await;
    assert_eq!(initiated.status, StatusCode::OK, "{}", initiated.body);
    let challenge = initiated.json();
    assert_eq!(challenge["ChallengeName"], "PASSWORD_VERIFIER");
    let parameters = &challenge["ChallengeParameters"];
    let text = |name: &str| parameters[name].as_str().unwrap().to_owned();
    let timestamp = crate::srp::TestClient::timestamp();
    let user_id = text("USER_ID_FOR_SRP");
    let signature = client.signature(
        &pool_id,
        &user_id,
        password,
        &text("SALT"),
        &text("SRP_B"),
        &text("SECRET_BLOCK"),
        &timestamp,
    );
    browser
        .cognito(
            "RespondToAuthChallenge",
            &serde_json::json!({
                "ClientId": SCRIPTS_CLIENT,
                "ChallengeName": "PASSWORD_VERIFIER",
                "ChallengeResponses": {
                    "USERNAME": user_id,
                    "PASSWORD_CLAIM_SECRET_BLOCK": text("SECRET_BLOCK"),
                    "PASSWORD_CLAIM_SIGNATURE": signature,
                    "TIMESTAMP": timestamp,
                },
            })
            .to_string(),
            false,
        )
        .await
}

#[tokio::test]
async fn a_password_from_before_srp_gets_its_verifier_at_the_next_password_sign_in() {
    let mut browser = Browser::new().await;
    let hash = crate::password::hash_blocking("legacy password 1").unwrap();
    let record = serde_json::json!({
        "type": "user", "sub": "5f0c9d2e-0000-4000-8000-00000000aaaa", "email": "legacy@example.com",
        "password_hash": hash, "confirmed": true, "enabled": true, "force_password_change": false,
        "created_at": 0, "updated_at": 0, "attributes": [], "groups": [],
    });
    let summary = browser
        .pool
        .import_users(std::io::Cursor::new(record.to_string()))
        .await
        .unwrap();
    assert_eq!(summary.users, 1);

    // An imported Argon2 hash has no verifier: SRP fails as a wrong password would.
    let refused = srp_sign_in(&mut browser, "legacy@example.com", "legacy password 1").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains("NotAuthorizedException"),
        "{}",
        refused.body
    );

    let password = browser
        .cognito(
            "InitiateAuth",
            &serde_json::json!({
                "ClientId": SCRIPTS_CLIENT,
                "AuthFlow": "USER_PASSWORD_AUTH",
                "AuthParameters": { "USERNAME": "legacy@example.com", "PASSWORD": "legacy password 1" },
            })
            .to_string(),
            false,
        )
        .await;
    assert_eq!(password.status, StatusCode::OK, "{}", password.body);
    let signed_in = srp_sign_in(&mut browser, "legacy@example.com", "legacy password 1").await;
    assert_eq!(signed_in.status, StatusCode::OK, "{}", signed_in.body);
    assert!(signed_in.json()["AuthenticationResult"]["IdToken"].is_string());

    // A new password gets a new verifier: the old one no longer proves anything.
    let reset = browser
        .cognito(
            "AdminSetUserPassword",
            &format!(
                r#"{{"UserPoolId":"{}","Username":"legacy@example.com","Password":"brand new password 2","Permanent":true}}"#,
                browser.pool.config().pool_id()
            ),
            true,
        )
        .await;
    assert_eq!(reset.status, StatusCode::OK, "{}", reset.body);
    let old = srp_sign_in(&mut browser, "legacy@example.com", "legacy password 1").await;
    assert!(old.body.contains("NotAuthorizedException"), "{}", old.body);
    let new = srp_sign_in(&mut browser, "legacy@example.com", "brand new password 2").await;
    assert_eq!(new.status, StatusCode::OK, "{}", new.body);
}

#[tokio::test]
async fn browsers_may_call_the_api_from_the_app_clients_origins_only() {
    let mut browser = Browser::new().await;
    let preflight = |origin: &str| {
        Request::builder()
            .method(axum::http::Method::OPTIONS)
            .uri("/")
            .header(header::ORIGIN, origin)
            .header(header::ACCESS_CONTROL_REQUEST_METHOD, "POST")
            .header(
                header::ACCESS_CONTROL_REQUEST_HEADERS,
                "content-type,x-amz-target,x-amz-user-agent,cache-control",
            )
    };
    // The app client's callback URL is http://127.0.0.1:3000/callback.
    let allowed = browser
        .send(preflight("http://127.0.0.1:3000"), Body::empty())
        .await;
    assert_eq!(
        allowed.header(header::ACCESS_CONTROL_ALLOW_ORIGIN),
        "http://127.0.0.1:3000"
    );
    assert!(
        allowed
            .header(header::ACCESS_CONTROL_ALLOW_HEADERS)
            .contains("x-amz-target")
    );
    for other in ["http://127.0.0.1:3001", "https://evil.example", "null"] {
        let refused = browser.send(preflight(other), Body::empty()).await;
        assert!(
            !refused
                .headers
                .contains_key(header::ACCESS_CONTROL_ALLOW_ORIGIN),
            "{other}"
        );
    }
}

/// USER_AUTH's sessions last three minutes: a mailed sign-in code, a
/// choice and a sign-up's session are refused once they are older.
#[tokio::test]
async fn user_auth_sessions_expire_after_three_minutes() {
    use crate::accounts::{Refusal, SignIn};
    use crate::store::SessionStep;
    use crate::user_auth::{self, CodeSent};

    let mut browser = Browser::new().await;
    browser.sign_up("erin@example.com", "s").await;
    let pool = browser.pool.clone();
    let user = crate::accounts::user_named(&pool, "erin@example.com")
        .await
        .unwrap();
    let now = crate::now();
    let CodeSent::Sent { session, .. } = user_auth::send_code(
        &pool,
        CLIENT,
        "erin@example.com",
        user.as_ref(),
        user_auth::MailedCode::SignIn,
        now,
    )
    .await
    .unwrap() else {
        panic!("no code sent");
    };
    let body = browser.last_mail("erin@example.com").await["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let code: String = body.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 8, "{body}");
    let late = now + 181;
    let answered = user_auth::answer_code(&pool, &session, CLIENT, "erin@example.com", &code, late)
        .await
        .unwrap();
    assert!(matches!(answered, SignIn::Refused(Refusal::SessionExpired)));

    let user = user.unwrap();
    for step in [SessionStep::SelectChallenge, SessionStep::SignedUp] {
        let session = user_auth::open(&pool, CLIENT, "erin@example.com", Some(&user), step, now)
            .await
            .unwrap();
        let resumed =
            user_auth::resume(&pool, &session, CLIENT, "erin@example.com", step, late).await;
        assert_eq!(resumed.unwrap().err(), Some(Refusal::SessionExpired));
    }
}

/// An authenticator app's code signs in once: the step a code was accepted
/// for (by VerifySoftwareToken too) is spent, and a `SOFTWARE_TOKEN_MFA`
/// session older than three minutes answers nothing.
#[tokio::test]
async fn app_codes_are_good_once_and_their_sessions_expire() {
    use crate::accounts::{Refusal, SignIn};
    use crate::auth_factors::MfaFactor;
    use crate::mfa::{self, Challenge, Next};

    let mut browser = Browser::new().await;
    browser.sign_up("erin@example.com", "s").await;
    let pool = browser.pool.clone();
    let user = crate::accounts::user_named(&pool, "erin@example.com")
        .await
        .unwrap()
        .unwrap();
    let secret = mfa::associate(&pool, &user).await.unwrap();
    let app = authenticator_app(secret);
    let code_at = app;
    let now = crate::now();
    assert!(
        mfa::verify(&pool, &user, &code_at(now), None, false, now)
            .await
            .unwrap()
    );
    pool.store()
        .set_mfa_preference(
            &user.sub,
            &[MfaFactor::SoftwareToken],
            Some(MfaFactor::SoftwareToken),
        )
        .await
        .unwrap();
    let challenge = || async {
        let next = Next::Code(MfaFactor::SoftwareToken);
        match mfa::open(&pool, CLIENT, &user, next, now)
            .await
            .unwrap()
            .unwrap()
        {
            Challenge::SoftwareToken { session, .. } => session,
            other => panic!("{other:?}"),
        }
    };
    let answer = |session: String, code: String, at: i64| {
        let pool = pool.clone();
        async move {
            mfa::answer_software_token(&pool, &session, CLIENT, "erin@example.com", &code, at)
                .await
                .unwrap()
        }
    };
    let late = now + 181;
    let expired = answer(challenge().await, code_at(late), late).await;
    assert!(
        matches!(expired, SignIn::Refused(Refusal::SessionExpired)),
        "{expired:?}"
    );
    let replayed = answer(challenge().await, code_at(now), now).await;
    assert!(
        matches!(replayed, SignIn::Refused(Refusal::WrongCode)),
        "{replayed:?}"
    );
    let next = code_at(now + 30);
    let signed_in = answer(challenge().await, next.clone(), now).await;
    assert!(
        matches!(signed_in, SignIn::Authenticated(_)),
        "{signed_in:?}"
    );
    let again = answer(challenge().await, next, now).await;
    assert!(
        matches!(again, SignIn::Refused(Refusal::WrongCode)),
        "{again:?}"
    );
}

/// With a key-encryption key, an app's secret is stored sealed, and still proves codes.
#[tokio::test]
async fn app_secrets_are_sealed_with_the_key_encryption_key() {
    let (mut config, dir) = test_config(true).await;
    config.set_key_encryption_key([7; 32]);
    let mut browser = Browser::open((config, dir)).await;
    browser.sign_up("erin@example.com", "s").await;
    let pool = browser.pool.clone();
    let user = crate::accounts::user_named(&pool, "erin@example.com")
        .await
        .unwrap()
        .unwrap();
    let secret = crate::mfa::associate(&pool, &user).await.unwrap();
    let stored = pool.store().user_mfa(&user.sub).await.unwrap();
    let pending = stored.totp_pending.unwrap();
    assert!(pending.starts_with("sealed:"), "{pending}");
    assert!(!pending.contains(&secret));
    let app = authenticator_app(secret);
    let now = crate::now();
    let code = app(now);
    assert!(
        crate::mfa::verify(&pool, &user, &code, None, false, now)
            .await
            .unwrap()
    );
    let proven = pool.store().user_mfa(&user.sub).await.unwrap();
    assert!(proven.totp_secret.unwrap().starts_with("sealed:"));
}
