//! Pools created through the API: their hosted UI on their own domain.

use super::*;

/// Creates a pool through the API with the settings of `body` (JSON); its id.
async fn create_pool(browser: &mut Browser, body: &str) -> String {
    let created = browser.cognito("CreateUserPool", body, true).await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.body);
    created.json()["UserPool"]["Id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A `Host`-addressed request of a form (the hosted UI on a pool's domain).
fn form_body(fields: &[(&str, &str)]) -> Body {
    Body::from(
        url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish(),
    )
}

#[tokio::test]
async fn a_pool_created_through_the_api_signs_users_in_on_its_own_domain() {
    let mut browser = Browser::new().await;
    let pool_id = create_pool(
        &mut browser,
        r#"{"PoolName":"shop","UsernameAttributes":["email"],"AutoVerifiedAttributes":["email"],
            "Policies":{"PasswordPolicy":{"MinimumLength":8}}}"#,
    )
    .await;
    let callback = "http://localhost:4000/cb";
    let client = browser
        .cognito(
            "CreateUserPoolClient",
            &format!(
                r#"{{"UserPoolId":"{pool_id}","ClientName":"shop-web","AllowedOAuthFlowsUserPoolClient":true,
                    "AllowedOAuthFlows":["code"],"AllowedOAuthScopes":["openid","email"],
                    "CallbackURLs":["{callback}"],"SupportedIdentityProviders":["COGNITO"]}}"#
            ),
            true,
        )
        .await;
    let client_id = client.json()["UserPoolClient"]["ClientId"]
        .as_str()
        .unwrap()
        .to_owned();
    let domain = browser
        .cognito(
            "CreateUserPoolDomain",
            &format!(r#"{{"UserPoolId":"{pool_id}","Domain":"shop"}}"#),
            true,
        )
        .await;
    assert_eq!(domain.status, StatusCode::OK, "{}", domain.body);
    for (operation, body) in [
        (
            "AdminCreateUser",
            format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"ann@example.com","MessageAction":"SUPPRESS"}}"#
            ),
        ),
        (
            "AdminSetUserPassword",
            format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"ann@example.com","Password":"{PASSWORD}","Permanent":true}}"#
            ),
        ),
    ] {
        let reply = browser.cognito(operation, &body, true).await;
        assert_eq!(reply.status, StatusCode::OK, "{operation}: {}", reply.body);
    }

    let host = "shop.localhost:9229";
    let params = [
        ("response_type", "code".to_owned()),
        ("client_id", client_id.clone()),
        ("redirect_uri", callback.to_owned()),
        ("state", "s".to_owned()),
        ("scope", "openid email".to_owned()),
        ("code_challenge", CHALLENGE.to_owned()),
        ("code_challenge_method", "S256".to_owned()),
    ];
    let login = format!("/login?{}", query(&params));
    // The declared pool does not know the client; the pool's domain does.
    assert_eq!(browser.get(&login).await.status, StatusCode::BAD_REQUEST);
    let page = browser
        .send(
            Request::get(&login).header(header::HOST, host),
            Body::empty(),
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let csrf = page.csrf();
    let reply = browser
        .send(
            Request::post("/login")
                .header(header::HOST, host)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            form_body(&form(
                &params,
                &[
                    ("_csrf", &csrf),
                    ("username", "ann@example.com"),
                    ("password", PASSWORD),
                ],
            )),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let location = url::Url::parse(reply.location().unwrap()).unwrap();
    assert_eq!(&location[..url::Position::AfterPath], callback);
    let code = location
        .query_pairs()
        .find(|(k, _)| k == "code")
        .map(|(_, v)| v.into_owned())
        .unwrap();
    let tokens = browser
        .send(
            Request::post("/oauth2/token")
                .header(header::HOST, host)
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            form_body(&[
                ("grant_type", "authorization_code"),
                ("client_id", &client_id),
                ("code", &code),
                ("redirect_uri", callback),
                ("code_verifier", VERIFIER),
            ]),
        )
        .await;
    assert_eq!(tokens.status, StatusCode::OK, "{}", tokens.body);
    let id_token = tokens.json()["id_token"].as_str().unwrap().to_owned();
    let claims: Value = serde_json::from_slice(
        &base64::Engine::decode(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD,
            id_token.split('.').nth(1).unwrap(),
        )
        .unwrap(),
    )
    .unwrap();
    assert_eq!(claims["iss"], format!("http://127.0.0.1:9229/{pool_id}"));
    assert_eq!(claims["aud"], client_id);
    assert_eq!(claims["email"], "ann@example.com");

    // Its discovery document names its domain's endpoints, and no pool has another domain.
    let discovery = browser
        .get(&format!("/{pool_id}/.well-known/openid-configuration"))
        .await;
    assert_eq!(
        discovery.json()["authorization_endpoint"],
        "http://shop.localhost:9229/oauth2/authorize"
    );
    let unknown = browser
        .send(
            Request::get(&login).header(header::HOST, "nope.localhost:9229"),
            Body::empty(),
        )
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_temporary_password_expires_after_the_policys_days() {
    let mut browser = Browser::new().await;
    let pool_id = create_pool(
        &mut browser,
        r#"{"PoolName":"short-lived","Policies":{"PasswordPolicy":{"MinimumLength":8,"TemporaryPasswordValidityDays":2}}}"#,
    )
    .await;
    let reply = browser
        .cognito(
            "AdminCreateUser",
            &format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"temp","TemporaryPassword":"{PASSWORD}","MessageAction":"SUPPRESS"}}"#
            ),
            true,
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let pool = browser.pool.in_pool(&pool_id).await.unwrap().unwrap();
    let sign_in = |now| {
        crate::accounts::sign_in(
            &pool,
            crate::triggers::event::Caller::administrator(),
            "temp",
            PASSWORD,
            now,
        )
    };
    let day = 86_400;
    assert!(matches!(
        sign_in(crate::now() + day).await.unwrap(),
        crate::accounts::SignIn::NewPasswordRequired(_)
    ));
    assert!(matches!(
        sign_in(crate::now() + 3 * day).await.unwrap(),
        crate::accounts::SignIn::Refused(crate::accounts::Refusal::TemporaryPasswordExpired)
    ));
}
