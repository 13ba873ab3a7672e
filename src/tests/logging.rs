//! What reaches the log: no token, password or code.

use super::*;

#[tokio::test]
async fn no_token_password_or_code_reaches_the_log() {
    let log = CapturedLog::start();
    let mut browser = Browser::new().await;
    let back = browser.sign_up("heidi@example.com", "s").await;
    let code = code_from(&back);
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = browser
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", &refresh_token),
        ])
        .await
        .json();
    let api = browser
        .cognito(
            "InitiateAuth",
            &format!(
                r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{{"USERNAME":"heidi@example.com","PASSWORD":"{PASSWORD}"}}}}"#
            ),
            false,
        )
        .await
        .json();
    // A wrong password and a replayed code are logged as events, without the secrets.
    browser
        .cognito(
            "InitiateAuth",
            r#"{"ClientId":"5cr1pt5c1ient0leptos0cog","AuthFlow":"USER_PASSWORD_AUTH","AuthParameters":{"USERNAME":"heidi@example.com","PASSWORD":"not-my-password"}}"#,
            false,
        )
        .await;
    browser.exchange(&code_grant(&code)).await;
    browser
        .post(
            "/oauth2/revoke",
            &[("token", &refresh_token), ("client_id", CLIENT)],
        )
        .await;

    let text = log.text();
    assert!(text.contains("request"), "the capture works: {text}");
    let session = browser.cookies["cognito"].clone();
    let secrets = [
        ("authorization code", code.as_str()),
        ("refresh token", refresh_token.as_str()),
        ("id token", tokens["id_token"].as_str().unwrap()),
        ("access token", tokens["access_token"].as_str().unwrap()),
        (
            "refreshed access token",
            refreshed["access_token"].as_str().unwrap(),
        ),
        (
            "API refresh token",
            api["AuthenticationResult"]["RefreshToken"]
                .as_str()
                .unwrap(),
        ),
        ("password", PASSWORD),
        ("wrong password", "not-my-password"),
        ("SSO session cookie", session.as_str()),
        ("PKCE verifier", VERIFIER),
    ];
    for (name, secret) in secrets {
        assert!(!text.contains(secret), "the {name} was logged");
    }
}
