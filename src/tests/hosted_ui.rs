//! The hosted UI as a browser meets it: the golden path, confirmation and password-reset codes, CSRF, escaping, the dev outbox, health and request limits, the Host allow-list.

use super::*;

#[tokio::test]
async fn golden_path() {
    let mut browser = Browser::new().await;

    // The app sends the browser to authorize; with no session, on to the sign-in page.
    let reply = browser
        .get(&format!(
            "/oauth2/authorize?{}",
            query(&oauth_params("st4te"))
        ))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let login = reply.location().unwrap().to_owned();
    assert!(
        login.starts_with("/login?") && login.contains("code_challenge="),
        "{login}"
    );
    let page = browser.get(&login).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<h1>Sign in</h1>"));
    assert!(
        page.header(header::CONTENT_SECURITY_POLICY)
            .contains("frame-ancestors 'none'")
    );
    assert_eq!(page.header(header::X_FRAME_OPTIONS), "DENY");
    assert_eq!(page.header(header::CACHE_CONTROL), "no-store");

    // Sign up, read the code from the outbox, confirm: back to the app with a code.
    let back = browser.sign_up("Alice@Example.com", "st4te").await;
    assert!(back.ends_with("&state=st4te"), "{back}");
    let code = code_from(&back);
    assert!(browser.cookies.contains_key("cognito"));
    let mail = browser.last_mail("alice@example.com").await;
    assert_eq!(mail["subject"], "Your verification code");

    // The app exchanges the code.
    let reply = browser.exchange(&code_grant(&code)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(reply.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), "*");
    let tokens = reply.json();
    assert_eq!(tokens["token_type"], "Bearer");
    assert_eq!(tokens["expires_in"], 3600);
    let id = verify(
        &mut browser,
        tokens["id_token"].as_str().unwrap(),
        Some(CLIENT),
    )
    .await;
    assert_eq!(id["token_use"], "id");
    assert_eq!(id["email"], "alice@example.com");
    assert_eq!(id["email_verified"], true);
    assert_eq!(id["nonce"], "n0nce");
    assert_eq!(id["cognito:username"], id["sub"]);
    assert!(id.get("cognito:groups").is_none());
    let access = verify(&mut browser, tokens["access_token"].as_str().unwrap(), None).await;
    assert_eq!(access["token_use"], "access");
    assert_eq!(access["client_id"], CLIENT);
    assert_eq!(access["scope"], "openid email");
    assert_eq!(access["sub"], id["sub"]);

    // Refreshing keeps the authentication event; the app's public client rotates its
    // refresh tokens (RFC 9700 §4.14.2), so a new one comes with each refresh.
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let reply = browser
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("client_id", CLIENT),
            ("refresh_token", refresh_token),
        ])
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let refreshed = reply.json();
    let rotated = refreshed["refresh_token"]
        .as_str()
        .expect("a new refresh token");
    assert_ne!(rotated, refresh_token);
    let id2 = verify(
        &mut browser,
        refreshed["id_token"].as_str().unwrap(),
        Some(CLIENT),
    )
    .await;
    assert_eq!(id2["auth_time"], id["auth_time"]);
    assert_eq!(id2["origin_jti"], id["origin_jti"]);
    assert_ne!(id2["jti"], id["jti"]);

    // The SSO session skips the sign-in page.
    let code = browser.code_via_session().await;
    assert_eq!(
        browser.exchange(&code_grant(&code)).await.status,
        StatusCode::OK
    );

    // Logout clears the session and returns to the registered URL.
    let reply = browser
        .get(&format!("/logout?client_id={CLIENT}&logout_uri={LOGOUT}"))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    assert_eq!(reply.location(), Some(LOGOUT));
    assert!(!browser.cookies.contains_key("cognito"));
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&oauth_params("s"))))
        .await;
    assert!(reply.location().unwrap().starts_with("/login?"));

    // Signing in again works, with the email in any case.
    let reply = browser.sign_in("alice@example.COM", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let code = code_from(reply.location().unwrap());
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let id3 = verify(
        &mut browser,
        tokens["id_token"].as_str().unwrap(),
        Some(CLIENT),
    )
    .await;
    assert_eq!(id3["sub"], id["sub"]);
}

#[tokio::test]
async fn confirmation_codes_die_after_five_wrong_attempts() {
    let mut browser = Browser::new().await;
    let params = oauth_params("s");
    let csrf = browser
        .get(&format!("/signup?{}", query(&params)))
        .await
        .csrf();
    let email = "erin@example.com";
    let reply = browser
        .post(
            "/signup",
            &form(
                &params,
                &[
                    ("_csrf", &csrf),
                    ("username", email),
                    ("password", PASSWORD),
                ],
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let code = browser.last_code(email).await;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        let reply = browser
            .post(
                "/confirm",
                &form(
                    &params,
                    &[("_csrf", &csrf), ("username", email), ("code", wrong)],
                ),
            )
            .await;
        assert!(
            reply
                .body
                .contains("Invalid verification code provided, please try again.")
        );
    }
    let reply = browser
        .post(
            "/confirm",
            &form(
                &params,
                &[("_csrf", &csrf), ("username", email), ("code", &code)],
            ),
        )
        .await;
    assert!(
        reply
            .body
            .contains("Attempt limit exceeded, please request a code again."),
        "{}",
        reply.body
    );

    // A resent code works.
    let reply = browser
        .post(
            "/resend",
            &form(&params, &[("_csrf", &csrf), ("username", email)]),
        )
        .await;
    assert!(reply.body.contains("new code"));
    let code = browser.last_code(email).await;
    let reply = browser
        .post(
            "/confirm",
            &form(
                &params,
                &[("_csrf", &csrf), ("username", email), ("code", &code)],
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    assert!(reply.location().unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn csrf_mismatch_is_refused() {
    let mut browser = Browser::new().await;
    let params = oauth_params("s");
    browser.get(&format!("/login?{}", query(&params))).await;
    assert!(browser.cookies.contains_key("XSRF-TOKEN"));
    let fields = [("username", "x@example.com"), ("password", PASSWORD)];
    for token in ["forged", ""] {
        let reply = browser
            .post(
                "/login",
                &form(&params, &[&fields[..], &[("_csrf", token)]].concat()),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN);
        assert!(reply.body.contains("Start again"));
        // The client is known: the page offers the way back to it, by its name.
        assert!(
            reply.body.contains(
                r#"<a href="http://127.0.0.1:3000/callback?error=access_denied&#38;state=s">Back to leptos-cognito-app</a>"#
            ),
            "{}",
            reply.body
        );
    }
    // Without the cookie, even a token from an earlier page fails.
    let token = browser
        .get(&format!("/login?{}", query(&params)))
        .await
        .csrf();
    browser.cookies.clear();
    let reply = browser
        .post(
            "/login",
            &form(
                &params,
                &[&fields[..], &[("_csrf", token.as_str())]].concat(),
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_planted_csrf_cookie_is_not_adopted() {
    let mut browser = Browser::new().await;
    let email = "planted@example.com";
    browser.pool.seed_user(email, PASSWORD, &[]).await.unwrap();
    let params = oauth_params("s");
    let credentials = [("username", email), ("password", PASSWORD)];
    // A cookie planted from a sibling subdomain, and the same value in the
    // field: a plain random token, and one shaped like the pool's.
    let plain = crate::secrets::token().unwrap();
    let shaped = format!("{plain}.{}", crate::secrets::token().unwrap());
    for planted in [plain, shaped] {
        browser.cookies.insert("XSRF-TOKEN".into(), planted.clone());
        let reply = browser
            .post(
                "/login",
                &form(
                    &params,
                    &[&credentials[..], &[("_csrf", &planted)]].concat(),
                ),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FORBIDDEN, "{planted}");
        assert!(!browser.cookies.contains_key("cognito"));
        // The page replaces the planted token rather than adopting it.
        let page = browser.get(&format!("/login?{}", query(&params))).await;
        assert_ne!(page.csrf(), planted);
        assert_eq!(browser.cookies["XSRF-TOKEN"], page.csrf());
    }
    // The pool's own token works.
    let reply = browser.sign_in(email, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    assert!(reply.location().unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn the_sign_up_page_refuses_a_common_password_and_says_why() {
    let mut browser = Browser::new().await;
    let params = oauth_params("s");
    let email = "common@example.com";
    let page = browser.get(&format!("/signup?{}", query(&params))).await;
    let reply = browser
        .post(
            "/signup",
            &form(
                &params,
                &[
                    ("_csrf", &page.csrf()),
                    ("username", email),
                    ("password", "Password123"),
                ],
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply
            .body
            .contains("Password is too common: choose one that is harder to guess."),
        "{}",
        reply.body
    );
    // Nothing was created, and no code was mailed.
    assert!(
        browser
            .pool
            .store()
            .user_by_email(email)
            .await
            .unwrap()
            .is_none()
    );
    let outbox = browser.get(&format!("/_dev/outbox.json?to={email}")).await;
    assert_eq!(outbox.json(), serde_json::json!([]));
}

#[tokio::test]
async fn pages_escape_what_they_echo() {
    let mut browser = Browser::new().await;
    let payload = r#""><script>alert(1)</script>"#;
    let page = browser
        .get(&format!("/login?{}", query(&oauth_params(payload))))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("<script>"), "{}", page.body);
    assert!(!page.body.contains(payload));
    assert!(
        page.body.contains("&lt;script&gt;") || page.body.contains("&#60;script&#62;"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn every_page_of_a_sign_in_names_the_pool_and_runs_only_the_pools_own_script() {
    let mut browser = Browser::new().await;
    let params = query(&oauth_params("st4te"));
    for (path, title) in [
        ("/login", "Sign in"),
        ("/signup", "Sign up"),
        ("/forgotPassword", "Forgot your password?"),
    ] {
        let page = browser.get(&format!("{path}?{params}")).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert!(
            page.body
                .contains(&format!("<title>{title} · leptos-cognito</title>")),
            "{path}: {}",
            page.body
        );
        assert!(
            page.body.contains(r#"<p class="brand">leptos-cognito</p>"#),
            "{path}"
        );
        assert!(
            page.body
                .contains(r#"<link rel="icon" href="/static/favicon.svg""#),
            "{path}"
        );
    }
    // Their one script, the forms' (show the password, say a form is being sent), is the
    // pool's own file: the policy allows it and nothing inline.
    let page = browser.get(&format!("/login?{params}")).await;
    assert!(
        page.body
            .contains(r#"<script src="/static/forms.js" defer></script>"#)
    );
    let policy = page.header(header::CONTENT_SECURITY_POLICY);
    assert!(
        policy.contains("script-src 'self';") && !policy.contains("unsafe-inline"),
        "{policy}"
    );
    let script = browser.get("/static/forms.js").await;
    assert_eq!(script.status, StatusCode::OK);
    assert_eq!(
        script.header(header::CONTENT_TYPE),
        "text/javascript; charset=utf-8"
    );
    let icon = browser.get("/static/favicon.svg").await;
    assert_eq!(icon.status, StatusCode::OK);
    assert_eq!(icon.header(header::CONTENT_TYPE), "image/svg+xml");
    assert!(icon.body.starts_with("<svg"), "{}", icon.body);
}

#[tokio::test]
async fn discovery_and_dev_outbox_switch() {
    let mut browser = Browser::new().await;
    let doc = browser
        .get("/us-east-1_LocalPool/.well-known/openid-configuration")
        .await
        .json();
    assert_eq!(doc["issuer"], "http://127.0.0.1:9229/us-east-1_LocalPool");
    assert_eq!(
        doc["jwks_uri"],
        "http://127.0.0.1:9229/us-east-1_LocalPool/.well-known/jwks.json"
    );
    assert_eq!(doc["end_session_endpoint"], "http://127.0.0.1:9229/logout");
    assert_eq!(
        doc["revocation_endpoint"],
        "http://127.0.0.1:9229/oauth2/revoke"
    );
    assert_eq!(
        doc["code_challenge_methods_supported"],
        serde_json::json!(["S256"])
    );
    assert_eq!(
        doc["userinfo_endpoint"],
        "http://127.0.0.1:9229/oauth2/userInfo"
    );
    // RFC 8414's place for the same metadata: the well-known part before the issuer's path.
    let metadata = browser
        .get("/.well-known/oauth-authorization-server/us-east-1_LocalPool")
        .await
        .json();
    assert_eq!(metadata, doc);
    let unknown = browser
        .get("/.well-known/oauth-authorization-server/us-east-1_Nobody")
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let outbox = browser.get("/_dev/outbox").await;
    assert_eq!(outbox.status, StatusCode::OK);
    // With a way back to each app that has a home page (its logout URL).
    assert!(
        outbox
            .body
            .contains(r#"<a href="http://127.0.0.1:3000/">Back to leptos-cognito-app</a>"#),
        "{}",
        outbox.body
    );

    let (config, _dir) = test_config(false).await;
    let router = UserPool::open(config).await.unwrap().router();
    let reply = router
        .oneshot(
            Request::get("/_dev/outbox.json")
                .body(Body::empty())
                .unwrap(),
        )
        .await
        .unwrap();
    assert_eq!(reply.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_forgotten_password_is_reset_with_a_mailed_code() {
    let mut browser = Browser::new().await;
    let email = "frank@example.com";
    browser.sign_up(email, "s").await;
    let code = browser.code_via_session().await;
    let old_tokens = browser.exchange(&code_grant(&code)).await.json();
    let params = oauth_params("s");

    // The sign-in page links to the reset; asking for it looks the same for
    // every address, but only a real account gets a code.
    let login = browser.get(&format!("/login?{}", query(&params))).await;
    assert!(login.body.contains("/forgotPassword?"), "{}", login.body);
    let page = browser
        .get(&format!("/forgotPassword?{}", query(&params)))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    let csrf = page.csrf();
    let mut next_pages = Vec::new();
    for address in ["nobody@example.com", "Frank@Example.com"] {
        let reply = browser
            .post(
                "/forgotPassword",
                &form(&params, &[("_csrf", &csrf), ("username", address)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
        next_pages.push(reply.location().unwrap().replace("nobody%40", "X"));
    }
    assert_eq!(next_pages[0].replace("X", "frank%40"), next_pages[1]);
    let mails = browser.get("/_dev/outbox.json?to=nobody@example.com").await;
    assert_eq!(mails.json(), serde_json::json!([]));
    let page = browser.get(&next_pages[1]).await;
    assert!(page.body.contains("Reset your password"), "{}", page.body);
    let code = browser.last_code(email).await;

    fn reset<'a>(
        params: &'a [(&'static str, String)],
        csrf: &'a str,
        code: &'a str,
        password: &'a str,
    ) -> Vec<(&'a str, &'a str)> {
        form(
            params,
            &[
                ("_csrf", csrf),
                ("username", "frank@example.com"),
                ("code", code),
                ("password", password),
            ],
        )
    }
    let wrong = if code == "000000" { "111111" } else { "000000" };
    let reply = browser
        .post(
            "/confirmForgotPassword",
            &reset(&params, &csrf, wrong, "a new password"),
        )
        .await;
    assert!(reply.body.contains("Invalid verification code provided"));
    let reply = browser
        .post(
            "/confirmForgotPassword",
            &reset(&params, &csrf, &code, "short"),
        )
        .await;
    assert!(reply.body.contains("Password not long enough"));
    let reply = browser
        .post(
            "/confirmForgotPassword",
            &reset(&params, &csrf, &code, "a new password"),
        )
        .await;
    // Redirected to the sign-in page (reloading it posts nothing again), which says so.
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let next = reply.location().unwrap().to_owned();
    assert!(next.starts_with("/login?username="), "{next}");
    let reply = browser.get(&next).await;
    assert!(reply.body.contains("Your password has been changed."));
    // The code is spent.
    let reply = browser
        .post(
            "/confirmForgotPassword",
            &reset(&params, &csrf, &code, "a third password"),
        )
        .await;
    assert!(
        reply.body.contains("Invalid code provided"),
        "{}",
        reply.body
    );

    // The reset ended every session: the old refresh token and the SSO session.
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT),
        (
            "refresh_token",
            old_tokens["refresh_token"].as_str().unwrap(),
        ),
    ];
    assert_eq!(
        browser.exchange(&refresh).await.json()["error"],
        "invalid_grant"
    );
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&params)))
        .await;
    assert!(reply.location().unwrap().starts_with("/login?"));

    let reply = browser.sign_in(email, PASSWORD).await;
    assert!(reply.body.contains("Incorrect username or password."));
    // The address stays filled in; the cursor waits in the password field.
    assert!(
        reply
            .body
            .contains(r#"autocomplete="current-password" required autofocus>"#),
        "{}",
        reply.body
    );
    assert_eq!(reply.body.matches("autofocus").count(), 1);
    let reply = browser.sign_in(email, "a new password").await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    assert!(reply.location().unwrap().starts_with(CALLBACK));
}

#[tokio::test]
async fn codes_mailed_to_one_user_are_rationed() {
    let mut browser = Browser::new().await;
    let email = "gina@example.com";
    browser.sign_up(email, "s").await;
    let params = oauth_params("s");
    let csrf = browser
        .get(&format!("/forgotPassword?{}", query(&params)))
        .await
        .csrf();
    for _ in 0..8 {
        let reply = browser
            .post(
                "/forgotPassword",
                &form(&params, &[("_csrf", &csrf), ("username", email)]),
            )
            .await;
        assert_eq!(reply.status, StatusCode::FOUND);
    }
    let mails = browser
        .get(&format!("/_dev/outbox.json?to={email}"))
        .await
        .json();
    // The sign-up code, then reset codes up to the limit of five per hour.
    assert_eq!(mails.as_array().unwrap().len(), 1 + 5, "{mails}");
}

#[tokio::test]
async fn health_and_request_limits() {
    let mut browser = Browser::new().await;
    let reply = browser.get("/healthz").await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "ok");

    // An oversized form is refused before it is read, and changes nothing.
    let body = format!(
        "grant_type=authorization_code&code={}",
        "x".repeat(200 * 1024)
    );
    let request = Request::post("/oauth2/token")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::CONTENT_LENGTH, body.len());
    let reply = browser.send(request, Body::from(body)).await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    // Without a declared length (chunked) it is cut off while read, before any
    // handler sees it: 413 all the same, from the OAuth endpoints (which would
    // answer their own `invalid_request`), the hosted UI's forms and the JSON API.
    for (path, content_type) in [
        ("/oauth2/token", "application/x-www-form-urlencoded"),
        ("/oauth2/revoke", "application/x-www-form-urlencoded"),
        ("/login", "application/x-www-form-urlencoded"),
        ("/signup", "application/x-www-form-urlencoded"),
        ("/", "application/x-amz-json-1.1"),
    ] {
        let body = format!("code={}", "x".repeat(200 * 1024));
        let request = Request::post(path)
            .header(header::CONTENT_TYPE, content_type)
            .header("x-amz-target", "AWSCognitoIdentityProviderService.SignUp");
        let reply = browser.send(request, Body::from(body)).await;
        assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE, "{path}");
    }
}

#[tokio::test]
async fn the_pool_answers_only_for_its_own_host() {
    let mut browser = Browser::new().await;
    // The dev outbox, the hosted UI and the JSON API alike.
    for uri in ["/", "/_dev/outbox.json", "/login", "/oauth2/token"] {
        for host in ["evil.example:9229", "evil.example", "127.0.0.1:3000"] {
            let reply = browser
                .send(Request::get(uri).header(header::HOST, host), Body::empty())
                .await;
            assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST, "{host}{uri}");
        }
    }
    let reply = browser
        .send(
            Request::post("/")
                .header(header::HOST, "evil.example:9229")
                .header(
                    "x-amz-target",
                    "AWSCognitoIdentityProviderService.ListUsers",
                ),
            Body::from("{}"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST);
    for host in ["127.0.0.1:9229", "localhost:9229", "[::1]:9229"] {
        let reply = browser
            .send(
                Request::get("/_dev/outbox.json").header(header::HOST, host),
                Body::empty(),
            )
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{host}");
    }
    // Health checks from a load balancer name the address.
    let reply = browser
        .send(
            Request::get("/healthz").header(header::HOST, "10.0.0.7:9229"),
            Body::empty(),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
}

/// AdminResetUserPassword: the right old password leads to the reset page
/// (the administrator's reset mailed the code), and the new password signs in.
#[tokio::test]
async fn a_password_an_administrator_reset_is_replaced_on_the_reset_page() {
    let mut browser = Browser::new().await;
    let email = "grace@example.com";
    browser.sign_up(email, "s").await;
    let reset = format!(
        r#"{{"UserPoolId":"{}","Username":"{email}"}}"#,
        browser.pool.config().pool_id()
    );
    let reply = browser
        .cognito("AdminResetUserPassword", &reset, true)
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let code = browser.last_code(email).await;

    let mut tab = browser.tab();
    let wrong = tab.sign_in(email, "not the password").await;
    assert!(wrong.body.contains("Incorrect username or password."));
    let reply = tab.sign_in(email, PASSWORD).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let next = reply.location().unwrap().to_owned();
    assert!(
        next.starts_with("/confirmForgotPassword?username=grace%40example.com"),
        "{next}"
    );
    let page = tab.get(&next).await;
    let params = oauth_params("s");
    let reply = tab
        .post(
            "/confirmForgotPassword",
            &form(
                &params,
                &[
                    ("_csrf", &page.csrf()),
                    ("username", email),
                    ("code", &code),
                    ("password", "a password of my own"),
                ],
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let reply = tab.get(reply.location().unwrap()).await;
    assert!(
        reply.body.contains("Your password has been changed."),
        "{}",
        reply.body
    );
    let reply = tab.sign_in(email, "a password of my own").await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    assert!(reply.location().unwrap().contains("code="));
}

#[tokio::test]
async fn a_user_signs_in_with_a_code_mailed_to_them() {
    let mut browser = Browser::new().await;
    let email = "gail@example.com";
    browser.sign_up(email, "s").await;
    let params = oauth_params("s");
    let login = browser.get(&format!("/login?{}", query(&params))).await;
    assert!(
        login.body.contains(r#"formaction="/emailCode""#),
        "{}",
        login.body
    );
    let csrf = login.csrf();

    // Every name gets the same page; only the account's address gets a code.
    let mut sessions = Vec::new();
    for name in ["nobody@example.com", email] {
        let page = browser
            .post(
                "/emailCode",
                &form(&params, &[("_csrf", &csrf), ("username", name)]),
            )
            .await;
        assert_eq!(page.status, StatusCode::OK, "{}", page.body);
        assert!(
            page.body.contains("Enter your sign-in code"),
            "{}",
            page.body
        );
        sessions.push(page.field("session"));
    }
    let nothing = browser.get("/_dev/outbox.json?to=nobody@example.com").await;
    assert_eq!(nothing.json(), serde_json::json!([]));
    let body = browser.last_mail(email).await["body"]
        .as_str()
        .unwrap()
        .to_owned();
    let code: String = body.chars().filter(char::is_ascii_digit).collect();
    assert_eq!(code.len(), 8, "{body}");

    let wrong = if code == "00000000" {
        "11111111"
    } else {
        "00000000"
    };
    let mut replies = Vec::new();
    for guess in [wrong, code.as_str()] {
        let fields = [
            ("_csrf", csrf.as_str()),
            ("username", email),
            ("session", sessions[1].as_str()),
            ("code", guess),
        ];
        replies.push(
            browser
                .post("/emailCode/confirm", &form(&params, &fields))
                .await,
        );
    }
    let (refused, signed_in) = (&replies[0], &replies[1]);
    assert_eq!(refused.status, StatusCode::OK);
    assert!(
        refused.body.contains("Invalid verification code provided"),
        "{}",
        refused.body
    );
    assert_eq!(signed_in.status, StatusCode::FOUND, "{}", signed_in.body);
    assert!(
        signed_in
            .location()
            .unwrap()
            .starts_with("http://127.0.0.1:3000/callback?code="),
        "{:?}",
        signed_in.location()
    );
}

/// After the password, a user with two second factors and no preference
/// picks one; the emailed code then signs them in.
#[tokio::test]
async fn a_user_with_two_second_factors_chooses_one_after_the_password() {
    use crate::auth_factors::MfaFactor;

    let mut browser = Browser::new().await;
    let email = "hana@example.com";
    browser.sign_up(email, "s").await;
    let pool = browser.pool.clone();
    let user = crate::accounts::user_named(&pool, email)
        .await
        .unwrap()
        .unwrap();
    let both = [MfaFactor::SoftwareToken, MfaFactor::Email];
    pool.store()
        .set_mfa_preference(&user.sub, &[MfaFactor::Email], None)
        .await
        .unwrap();
    let choose = browser.sign_in(email, PASSWORD).await;
    // Email codes alone: asked for at once.
    assert!(
        choose
            .body
            .contains("We have sent a sign-in code to h***@e***"),
        "{}",
        choose.body
    );
    let secret = crate::mfa::associate(&pool, &user).await.unwrap();
    let app = authenticator_app(secret);
    let now = crate::now();
    let code = app(now);
    assert!(
        crate::mfa::verify(&pool, &user, &code, None, false, now)
            .await
            .unwrap()
    );
    pool.store()
        .set_mfa_preference(&user.sub, &both, None)
        .await
        .unwrap();

    let choose = browser.sign_in(email, PASSWORD).await;
    assert_eq!(choose.status, StatusCode::OK);
    assert!(
        choose.body.contains("Use my authenticator app"),
        "{}",
        choose.body
    );
    assert!(choose.body.contains("Email me a code"), "{}", choose.body);
    let params = oauth_params("s");
    let (csrf, session) = (choose.csrf(), choose.field("session"));
    let fields = [
        ("_csrf", csrf.as_str()),
        ("username", email),
        ("session", session.as_str()),
        ("factor", "EMAIL_OTP"),
    ];
    let code_page = browser.post("/mfa/choose", &form(&params, &fields)).await;
    assert!(
        code_page.body.contains("Code from the email"),
        "{}",
        code_page.body
    );
    let code = browser.last_code(email).await;
    let (csrf, session) = (code_page.csrf(), code_page.field("session"));
    let fields = [
        ("_csrf", csrf.as_str()),
        ("username", email),
        ("session", session.as_str()),
        ("factor", "EMAIL_OTP"),
        ("code", code.as_str()),
    ];
    let signed_in = browser.post("/mfa", &form(&params, &fields)).await;
    assert_eq!(signed_in.status, StatusCode::FOUND, "{}", signed_in.body);
    assert!(
        signed_in
            .location()
            .unwrap()
            .starts_with("http://127.0.0.1:3000/callback?code="),
        "{:?}",
        signed_in.location()
    );
}

/// "Send a new code" over the hourly ration says so, with when to try again,
/// in the same words for a name without an account; before it, it says a
/// code was sent.
#[tokio::test]
async fn resending_over_the_ration_says_when_to_try_again() {
    let mut browser = Browser::new().await;
    let params = oauth_params("s");
    let page = browser.get(&format!("/signup?{}", query(&params))).await;
    let csrf = page.csrf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("username", "ivy@example.com"),
        ("password", PASSWORD),
    ];
    let signed_up = browser.post("/signup", &form(&params, &fields)).await;
    assert_eq!(signed_up.status, StatusCode::FOUND, "{}", signed_up.body);
    for name in ["ivy@example.com", "nobody-here@example.com"] {
        let mut pages = Vec::new();
        for _ in 0..6 {
            let fields = [("_csrf", csrf.as_str()), ("username", name)];
            pages.push(browser.post("/resend", &form(&params, &fields)).await.body);
        }
        // The sign-up's code and four more fill the account's ration; a name without one
        // has five decoys.
        let sent = pages
            .iter()
            .filter(|page| page.contains("We have sent a new code by email to "))
            .count();
        assert!((4..=5).contains(&sent), "{name}: {sent}");
        let last = pages.last().unwrap();
        assert!(
            last.contains("Too many codes were sent. Try again in 60 minutes."),
            "{name}: {last}"
        );
        assert!(!last.contains("We have sent a new code"), "{name}");
    }
}

/// Signing up again with the address of an account mails no code but says
/// so; the page that follows tells the truth for both cases alike.
#[tokio::test]
async fn signing_up_with_a_taken_address_ends_on_a_page_that_tells_the_truth() {
    let mut browser = Browser::new().await;
    let email = "jo@example.com";
    browser.sign_up(email, "s").await;
    let params = oauth_params("s");
    let page = browser.get(&format!("/signup?{}", query(&params))).await;
    let fields = [
        ("_csrf", page.csrf()),
        ("username", email.to_owned()),
        ("password", PASSWORD.to_owned()),
    ];
    let fields: Vec<(&str, &str)> = fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
    let reply = browser.post("/signup", &form(&params, &fields)).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let confirm = browser.get(reply.location().unwrap()).await;
    assert!(
        confirm
            .body
            .contains("if you already have an account, the email says how to sign in instead"),
        "{}",
        confirm.body
    );
    assert!(confirm.body.contains("j***@e***"), "{}", confirm.body);
    let mail = browser.last_mail(email).await;
    assert_eq!(mail["subject"], "Sign-up attempt with your email address");
}

/// A PNG's signature and header: enough for the pool, which checks the signature.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0";

/// The example configuration with `[branding]` naming files written in its data directory.
fn branded_config(css: &str) -> (Config, tempfile::TempDir) {
    let (_, dir) = sqlite_config(true);
    std::fs::write(dir.path().join("logo.png"), PNG).unwrap();
    std::fs::write(dir.path().join("brand.css"), css).unwrap();
    let text = format!(
        "{CONFIG}{OTHER_CLIENT_CONFIG}{MACHINE_AND_ROTATION_CONFIG}\n[branding]\nlogo = {:?}\ncss = {:?}\n\
         name = \"Green Grocer\"\naccent = \"#0a7d3b\"\naccent_dark = \"#7ee2a8\"\nfavicon = {:?}\n",
        dir.path().join("logo.png"),
        dir.path().join("brand.css"),
        dir.path().join("logo.png"),
    );
    let mut config = Config::from_toml(&text).unwrap();
    config.set_data_dir(dir.path());
    (config, dir)
}

#[tokio::test]
async fn the_declared_branding_is_the_look_of_every_page_and_error_page() {
    let mut browser = Browser::open(branded_config(
        ".submitButton-customizable{background-color:#0a7d3b}",
    ))
    .await;
    let login = browser
        .get(&format!("/login?{}", query(&oauth_params("st4te"))))
        .await;
    assert_eq!(login.status, StatusCode::OK);
    // The name and colours of [branding], then the customization's stylesheet.
    assert!(login.body.contains("<title>Sign in · Green Grocer</title>"));
    assert!(login.body.contains(r#"<p class="brand">Green Grocer</p>"#));
    assert!(
        login.body.contains(
            "<link rel=\"stylesheet\" href=\"/static/brand.css\">\n<link rel=\"stylesheet\" href=\"/static/ui/ALL/custom.css?v=1\">"
        ),
        "{}",
        login.body
    );
    assert!(
        login
            .body
            .contains(r#"<img class="logo-customizable" src="/static/ui/ALL/logo?v=1" alt="">"#)
    );
    let css = browser.get("/static/ui/ALL/custom.css?v=1").await;
    assert_eq!(
        (
            css.status,
            css.header(header::CONTENT_TYPE),
            css.body.as_str()
        ),
        (
            StatusCode::OK,
            "text/css; charset=utf-8",
            ".submitButton-customizable {\n  background-color: #0a7d3b;\n}\n"
        )
    );
    let theme = browser.get("/static/brand.css").await;
    assert!(
        theme
            .body
            .starts_with(":root { --accent: #0a7d3b; --accent-text: #fff; }"),
        "{}",
        theme.body
    );
    assert!(
        theme
            .body
            .contains("--accent: #7ee2a8; --accent-text: #111827;")
    );
    let icon = browser.get("/static/favicon.svg").await;
    assert_eq!(icon.header(header::CONTENT_TYPE), "image/png");
    let logo = browser.get("/static/ui/ALL/logo").await;
    assert_eq!(logo.header(header::CONTENT_TYPE), "image/png");
    assert_eq!(logo.header(header::X_CONTENT_TYPE_OPTIONS), "nosniff");
    assert_eq!(
        browser.get("/static/ui/nosuchclient/logo").await.status,
        StatusCode::NOT_FOUND
    );

    // An error page of the pool (a redirect_uri the client does not have) is branded too.
    let refused = browser
        .get(&format!(
            "/oauth2/authorize?response_type=code&client_id={CLIENT}&redirect_uri=http%3A%2F%2Fevil.example%2F"
        ))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(refused.body.contains("<title>Error · Green Grocer</title>"));
    assert!(
        refused
            .body
            .contains(r#"<p class="brand">Green Grocer</p>"#)
    );
    assert!(refused.body.contains(r#"src="/static/ui/ALL/logo?v=1""#));
    assert!(refused.body.contains("/static/ui/ALL/custom.css?v=1"));
    // That page cannot lead back to an address the client does not have; one
    // refused for a query naming its own callback URL (here: a U+0000) leads back to the app.
    assert!(!refused.body.contains("Back to"));
    let refused = browser
        .get(&format!(
            "/login?client_id={CLIENT}&redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2Fcallback&state=s1&username=%00"
        ))
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused.body.contains(
            r#"<a href="http://127.0.0.1:3000/callback?error=access_denied&#38;state=s1">Back to leptos-cognito-app</a>"#
        ),
        "{}",
        refused.body
    );
}

#[tokio::test]
async fn declared_branding_is_written_again_only_when_it_changed_and_checked() {
    let (config, dir) = branded_config(".label-customizable { color: #222 }");
    drop(UserPool::open(config.clone()).await.unwrap());
    // The same files at the next start keep the version (and the browsers' cached copies).
    let pool = UserPool::open(config).await.unwrap();
    let custom = pool.branding().exactly("ALL").expect("declared").clone();
    assert_eq!(custom.version, 1);
    drop(pool);
    // A stylesheet that does not pass stops the start, naming the field.
    std::fs::write(dir.path().join("brand.css"), "body { color: red }").unwrap();
    let text = format!(
        "{CONFIG}\n[branding]\ncss = {:?}\n",
        dir.path().join("brand.css")
    );
    let mut bad = Config::from_toml(&text).unwrap();
    bad.set_data_dir(dir.path());
    let refusal = UserPool::open(bad)
        .await
        .err()
        .expect("refused")
        .to_string();
    assert!(refusal.contains("branding.css"), "{refusal}");
    assert!(
        refusal.contains("not one of Cognito's customizable classes"),
        "{refusal}"
    );
}
