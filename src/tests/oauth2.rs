//! The OAuth 2.0 / OpenID Connect endpoints as a client app meets them: the token endpoint's refusals, redirect safety, refresh tokens (revocation, rotation, replay), userInfo, machine clients and implicit clients.

use super::*;

#[tokio::test]
async fn token_endpoint_refusals() {
    let mut browser = Browser::new().await;
    browser.sign_up("bob@example.com", "s").await;

    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let reply = browser.exchange(&without(&grant, "code_verifier")).await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );

    let wrong = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj";
    let reply = browser
        .exchange(&with(&grant, "code_verifier", wrong))
        .await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    // The failed attempt spent the code.
    let reply = browser.exchange(&grant).await;
    assert_eq!(reply.json()["error"], "invalid_grant");

    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let reply = browser
        .exchange(&with(&grant, "redirect_uri", "http://127.0.0.1:3000/other"))
        .await;
    assert_eq!(reply.json()["error"], "invalid_grant");

    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let reply = browser
        .exchange(&with(&grant, "client_id", "unknownclient"))
        .await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("invalid_client"))
    );

    let reply = browser
        .exchange(&with(&grant, "grant_type", "password"))
        .await;
    assert_eq!(reply.json()["error"], "unsupported_grant_type");

    // A replayed code is refused and revokes the refresh token it produced.
    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let first = browser.exchange(&grant).await;
    assert_eq!(first.status, StatusCode::OK);
    let refresh_token = first.json()["refresh_token"].as_str().unwrap().to_owned();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT),
        ("refresh_token", refresh_token.as_str()),
    ];
    assert_eq!(browser.exchange(&refresh).await.status, StatusCode::OK);
    let replay = browser.exchange(&grant).await;
    assert_eq!(
        (replay.status, replay.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_grant"))
    );
    let reply = browser.exchange(&refresh).await;
    assert_eq!(reply.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn authorize_never_redirects_to_unknown_places() {
    let mut browser = Browser::new().await;
    for (name, value) in [
        ("client_id", "unknownclient"),
        ("redirect_uri", "https://evil.example/callback"),
    ] {
        let params: Vec<_> = oauth_params("s")
            .into_iter()
            .map(|(k, v)| {
                if k == name {
                    (k, value.to_owned())
                } else {
                    (k, v)
                }
            })
            .collect();
        let reply = browser
            .get(&format!("/oauth2/authorize?{}", query(&params)))
            .await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{name}");
        assert!(reply.location().is_none());
        assert!(reply.body.contains("An error was encountered"));
        assert_eq!(reply.header(header::X_FRAME_OPTIONS), "DENY");
    }

    // A valid client and redirect URI: other errors go back to the app, with state.
    let params: Vec<_> = oauth_params("s")
        .into_iter()
        .filter(|(k, _)| *k != "code_challenge")
        .collect();
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&params)))
        .await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let location = reply.location().unwrap();
    assert!(
        location.starts_with(&format!("{CALLBACK}?error=invalid_request&")),
        "{location}"
    );
    assert!(location.ends_with("&state=s"), "{location}");

    // Logout with an unregistered logout_uri shows the error page.
    let reply = browser
        .get(&format!(
            "/logout?client_id={CLIENT}&logout_uri=https://evil.example/"
        ))
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
    assert!(reply.location().is_none());
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_use() {
    let mut browser = Browser::new().await;
    browser.sign_up("hana@example.com", "s").await;
    let code = browser.code_via_session().await;
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let refresh = [
        ("grant_type", "refresh_token"),
        ("client_id", CLIENT),
        ("refresh_token", refresh_token),
    ];
    assert_eq!(browser.exchange(&refresh).await.status, StatusCode::OK);

    let revoke = [("token", refresh_token), ("client_id", CLIENT)];
    let reply = browser
        .post("/oauth2/revoke", &without(&revoke, "token"))
        .await;
    assert_eq!(
        (reply.status, reply.json()["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid_request"))
    );
    let reply = browser
        .post(
            "/oauth2/revoke",
            &with(&revoke, "client_id", "unknownclient"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    // Unknown tokens are answered like live ones (RFC 7009 §2.2) and change nothing.
    let reply = browser
        .post("/oauth2/revoke", &with(&revoke, "token", "not-a-token"))
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(browser.exchange(&refresh).await.status, StatusCode::OK);

    let reply = browser.post("/oauth2/revoke", &revoke).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.header(header::CACHE_CONTROL), "no-store");
    assert_eq!(
        browser.exchange(&refresh).await.json()["error"],
        "invalid_grant"
    );
    assert_eq!(
        browser.post("/oauth2/revoke", &revoke).await.status,
        StatusCode::OK
    );
}

/// What the app asks, every `SESSION_CHECK_SECONDS`, to learn that a session
/// ended elsewhere: userInfo refuses the access tokens of a revoked sign-in and
/// of a disabled user at once, though they are unexpired and well signed.
#[tokio::test]
async fn user_info_refuses_the_tokens_of_a_session_ended_at_the_pool() {
    let mut browser = Browser::new().await;
    browser.sign_up("ivy@example.com", "s").await;
    let sign_in = async |browser: &mut Browser| {
        let code = browser.code_via_session().await;
        browser.exchange(&code_grant(&code)).await.json()
    };
    let user_info = async |browser: &mut Browser, access_token: &str| {
        let request = Request::get("/oauth2/userInfo")
            .header(header::AUTHORIZATION, format!("Bearer {access_token}"));
        browser.send(request, Body::empty()).await.status
    };
    let tokens = sign_in(&mut browser).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(user_info(&mut browser, access_token).await, StatusCode::OK);
    let revoke = [
        ("token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", CLIENT),
    ];
    assert_eq!(
        browser.post("/oauth2/revoke", &revoke).await.status,
        StatusCode::OK
    );
    assert_eq!(
        user_info(&mut browser, access_token).await,
        StatusCode::UNAUTHORIZED
    );

    let tokens = sign_in(&mut browser).await;
    let access_token = tokens["access_token"].as_str().unwrap();
    assert_eq!(user_info(&mut browser, access_token).await, StatusCode::OK);
    let sub = browser
        .pool
        .store()
        .user_by_email("ivy@example.com")
        .await
        .unwrap()
        .unwrap()
        .sub;
    browser
        .pool
        .store()
        .set_enabled(&sub, false, crate::now())
        .await
        .unwrap();
    assert_eq!(
        user_info(&mut browser, access_token).await,
        StatusCode::UNAUTHORIZED
    );
}

#[tokio::test]
async fn user_info_answers_only_live_access_tokens_with_openid() {
    let mut browser = Browser::new().await;
    browser.sign_up("ines@example.com", "s").await;
    let code = browser.code_via_session().await;
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let access_token = tokens["access_token"].as_str().unwrap();

    async fn user_info(browser: &mut Browser, authorization: Option<&str>) -> Reply {
        let mut request = Request::get("/oauth2/userInfo");
        if let Some(value) = authorization {
            request = request.header(header::AUTHORIZATION, value);
        }
        browser.send(request, Body::empty()).await
    }

    let reply = user_info(&mut browser, Some(&format!("Bearer {access_token}"))).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let info = reply.json();
    assert_eq!(info["email"], "ines@example.com");
    assert_eq!(info["email_verified"], "true");
    assert_eq!(info["username"], info["sub"]);

    let reply = user_info(&mut browser, None).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    assert_eq!(reply.header(header::WWW_AUTHENTICATE), "Bearer");
    let id_token = format!("Bearer {}", tokens["id_token"].as_str().unwrap());
    let (signed, _) = access_token.rsplit_once('.').unwrap();
    let unsigned = format!("Bearer {signed}.");
    for bad in [id_token.as_str(), unsigned.as_str(), "Bearer nonsense"] {
        let reply = user_info(&mut browser, Some(bad)).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{bad:.30}");
        assert_eq!(
            reply.header(header::WWW_AUTHENTICATE),
            r#"Bearer error="invalid_token""#
        );
        assert_eq!(reply.json()["error"], "invalid_token");
    }

    // Without the openid scope the token is refused as insufficient.
    let mut params = oauth_params("s");
    params.retain(|(name, _)| *name != "scope");
    params.push(("scope", "email".into()));
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&params)))
        .await;
    let code = code_from(reply.location().unwrap());
    let email_only = browser.exchange(&code_grant(&code)).await.json();
    let bearer = format!("Bearer {}", email_only["access_token"].as_str().unwrap());
    let reply = user_info(&mut browser, Some(&bearer)).await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert_eq!(reply.json()["error"], "insufficient_scope");

    // Revoking the sign-in's refresh token kills its access tokens here too.
    let revoke = [
        ("token", tokens["refresh_token"].as_str().unwrap()),
        ("client_id", CLIENT),
    ];
    assert_eq!(
        browser.post("/oauth2/revoke", &revoke).await.status,
        StatusCode::OK
    );
    let reply = user_info(&mut browser, Some(&format!("Bearer {access_token}"))).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn protocol_tricks_are_refused() {
    let mut browser = Browser::new().await;
    browser.sign_up("ivan@example.com", "s").await;
    let authorize = |changes: &[(&'static str, &str)]| {
        let mut params = oauth_params("s");
        for (name, value) in changes {
            params.retain(|(k, _)| k != name);
            params.push((name, (*value).to_owned()));
        }
        format!("/oauth2/authorize?{}", query(&params))
    };

    // A redirect URI must be registered exactly: no case, slash, query or fragment games.
    for uri in [
        "http://127.0.0.1:3000/Callback",
        "HTTP://127.0.0.1:3000/callback",
        "http://127.0.0.1:3000/callback/",
        "http://127.0.0.1:3000/callback?next=/admin",
        "http://127.0.0.1:3000/callback#x",
        "http://127.0.0.1:4000/callback",
    ] {
        let reply = browser.get(&authorize(&[("redirect_uri", uri)])).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{uri}");
        assert!(reply.location().is_none(), "{uri}");
    }
    // PKCE is S256 only.
    for method in ["plain", "s256", ""] {
        let reply = browser
            .get(&authorize(&[("code_challenge_method", method)]))
            .await;
        let location = reply.location().unwrap_or_default().to_owned();
        assert!(
            location.starts_with(&format!("{CALLBACK}?error=invalid_request&")),
            "{method}: {location}"
        );
    }

    // A code is the client's that asked for it, and dies after five minutes.
    let code = browser.code_via_session().await;
    let grant = code_grant(&code);
    let reply = browser
        .exchange(&with(&grant, "client_id", OTHER_CLIENT))
        .await;
    assert_eq!(reply.json()["error"], "invalid_grant");
    let code = browser.code_via_session().await;
    let db = crate::store::connect(&browser.pool.config().database())
        .await
        .unwrap();
    sqlx::query("UPDATE auth_codes SET expires_at = $1 WHERE used_at IS NULL")
        .bind(crate::now() - 1)
        .execute(&db)
        .await
        .unwrap();
    let reply = browser.exchange(&code_grant(&code)).await;
    assert_eq!(reply.json()["error"], "invalid_grant");

    // A refresh token is its client's too.
    let code = browser.code_via_session().await;
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    let reply = browser
        .exchange(&[
            ("grant_type", "refresh_token"),
            ("client_id", OTHER_CLIENT),
            ("refresh_token", refresh_token),
        ])
        .await;
    assert_eq!(reply.json()["error"], "invalid_grant");
}

#[tokio::test]
async fn machine_clients_get_access_tokens_with_custom_scopes() {
    let mut browser = Browser::new().await;
    let basic = format!(
        "Basic {}",
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            "mach1ne:machine-secret-0123456789"
        )
    );
    let mut machine = async |fields: &[(&str, &str)]| {
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(fields)
            .finish();
        let request = Request::post("/oauth2/token")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::AUTHORIZATION, &basic);
        browser.send(request, Body::from(body)).await
    };

    let reply = machine(&[("grant_type", "client_credentials")]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let tokens = reply.json();
    assert!(tokens.get("id_token").is_none() && tokens.get("refresh_token").is_none());
    assert_eq!(tokens["expires_in"], 600);
    let access = tokens["access_token"].as_str().unwrap().to_owned();
    let reply = machine(&[
        ("grant_type", "client_credentials"),
        ("scope", "https://api.example.com/read"),
    ])
    .await;
    let read_only = reply.json()["access_token"].as_str().unwrap().to_owned();
    for (fields, error) in [
        (
            vec![("grant_type", "client_credentials"), ("scope", "openid")],
            "invalid_scope",
        ),
        (
            vec![
                ("grant_type", "client_credentials"),
                ("scope", "https://api.example.com/admin"),
            ],
            "invalid_scope",
        ),
        (
            vec![("grant_type", "authorization_code"), ("code", "x")],
            "unauthorized_client",
        ),
    ] {
        assert_eq!(machine(&fields).await.json()["error"], error, "{fields:?}");
    }

    let claims = verify(&mut browser, &access, None).await;
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        600
    );
    assert_eq!(claims["sub"], "mach1ne");
    assert_eq!(claims["client_id"], "mach1ne");
    assert_eq!(claims["token_use"], "access");
    assert_eq!(
        claims["scope"],
        "https://api.example.com/read https://api.example.com/write"
    );
    assert!(claims.get("username").is_none());
    let claims = verify(&mut browser, &read_only, None).await;
    assert_eq!(claims["scope"], "https://api.example.com/read");

    // Public clients cannot use the grant.
    let reply = browser
        .exchange(&[("grant_type", "client_credentials"), ("client_id", CLIENT)])
        .await;
    assert_eq!(reply.json()["error"], "unauthorized_client");
}

/// GetTokensFromRefreshToken's request, how a rotating client refreshes.
fn rotating_refresh(client_id: &str, refresh_token: &str) -> String {
    format!(r#"{{"ClientId":"{client_id}","RefreshToken":"{refresh_token}"}}"#)
}

#[tokio::test]
async fn a_replayed_rotated_refresh_token_ends_the_sign_in() {
    let mut browser = Browser::new().await;
    let sign_up = format!(
        r#"{{"ClientId":"r0tating","Username":"erin@example.com","Password":"{PASSWORD}"}}"#
    );
    assert_eq!(
        browser.cognito("SignUp", &sign_up, false).await.status,
        StatusCode::OK
    );
    let code = browser.last_code("erin@example.com").await;
    let confirm = format!(
        r#"{{"ClientId":"r0tating","Username":"erin@example.com","ConfirmationCode":"{code}"}}"#
    );
    assert_eq!(
        browser
            .cognito("ConfirmSignUp", &confirm, false)
            .await
            .status,
        StatusCode::OK
    );
    let first = browser
        .cognito(
            "InitiateAuth",
            &password_auth("r0tating", "erin@example.com"),
            false,
        )
        .await
        .json();
    let refresh = |token: &str| rotating_refresh("r0tating", token);
    let r1 = first["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_owned();

    let second = browser
        .cognito("GetTokensFromRefreshToken", &refresh(&r1), false)
        .await
        .json();
    let r2 = second["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .expect("a new refresh token")
        .to_owned();
    assert_ne!(r1, r2);
    // A rotating client refreshes through GetTokensFromRefreshToken only, as in Cognito.
    let old_flow = browser
        .cognito("InitiateAuth", &refresh_auth("r0tating", &r2), false)
        .await;
    assert_eq!(old_flow.json()["__type"], "InvalidParameterException");
    let access = second["AuthenticationResult"]["AccessToken"]
        .as_str()
        .unwrap()
        .to_owned();

    // The old token again: refused as reused (Cognito's RefreshTokenReuseException), and the whole sign-in with it.
    let replay = browser
        .cognito("GetTokensFromRefreshToken", &refresh(&r1), false)
        .await;
    assert_eq!(replay.json()["__type"], "RefreshTokenReuseException");
    let after = browser
        .cognito("GetTokensFromRefreshToken", &refresh(&r2), false)
        .await;
    assert_eq!(after.json()["__type"], "NotAuthorizedException");
    let get_user = format!(r#"{{"AccessToken":"{access}"}}"#);
    let reply = browser.cognito("GetUser", &get_user, false).await;
    assert_eq!(reply.json()["__type"], "NotAuthorizedException");
}

/// Two requests that refresh one session at once (two tabs, two app servers)
/// both keep it: the token just rotated out still works within the grace period.
#[tokio::test]
async fn a_rotated_refresh_token_is_a_retry_within_the_grace_period() {
    let mut browser = Browser::new().await;
    browser.sign_up("gail@example.com", "s").await;
    let first = browser
        .cognito(
            "InitiateAuth",
            &password_auth("gr4ce", "gail@example.com"),
            false,
        )
        .await
        .json();
    let refresh = |token: &str| rotating_refresh("gr4ce", token);
    let new_refresh_token = |reply: &Reply| {
        reply.json()["AuthenticationResult"]["RefreshToken"]
            .as_str()
            .expect("a new refresh token")
            .to_owned()
    };
    let r1 = first["AuthenticationResult"]["RefreshToken"]
        .as_str()
        .unwrap()
        .to_owned();
    // Cookie-less JSON API calls: two copies of the browser's router, side by side.
    let (mut tab1, mut tab2) = (browser.tab(), browser.tab());
    let request = refresh(&r1);
    let (one, two) = tokio::join!(
        tab1.cognito("GetTokensFromRefreshToken", &request, false),
        tab2.cognito("GetTokensFromRefreshToken", &request, false),
    );
    let (r2, r3) = (new_refresh_token(&one), new_refresh_token(&two));
    assert_ne!(r2, r3);
    // Both successors live on, and the sign-in with them.
    for token in [&r2, &r3] {
        let reply = browser
            .cognito("GetTokensFromRefreshToken", &refresh(token), false)
            .await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        let access = reply.json()["AuthenticationResult"]["AccessToken"]
            .as_str()
            .unwrap()
            .to_owned();
        let get_user = format!(r#"{{"AccessToken":"{access}"}}"#);
        assert_eq!(
            browser.cognito("GetUser", &get_user, false).await.status,
            StatusCode::OK
        );
    }
}

#[tokio::test]
async fn implicit_clients_get_tokens_in_the_fragment_and_nothing_else() {
    let mut browser = Browser::new().await;
    browser.sign_up("frank@example.com", "s").await;
    let authorize = |response_type: &str| {
        format!(
            "/oauth2/authorize?{}",
            query(&[
                ("response_type", response_type.into()),
                ("client_id", "impl1cit".into()),
                ("redirect_uri", "http://127.0.0.1:5000/callback".into()),
                ("scope", "openid email".into()),
                ("state", "st".into()),
                ("nonce", "n1".into()),
            ])
        )
    };
    // The live SSO session answers at once, with tokens after the `#`.
    let reply = browser.get(&authorize("token")).await;
    assert_eq!(reply.status, StatusCode::FOUND);
    let location = url::Url::parse(reply.location().unwrap()).unwrap();
    assert_eq!(location.query(), None);
    let fragment: HashMap<String, String> =
        url::form_urlencoded::parse(location.fragment().unwrap().as_bytes())
            .into_owned()
            .collect();
    assert_eq!(fragment["state"], "st");
    assert_eq!(fragment["token_type"], "Bearer");
    assert!(!fragment.contains_key("refresh_token"));
    let id = verify(&mut browser, &fragment["id_token"], Some("impl1cit")).await;
    assert_eq!(
        (id["email"].as_str(), id["nonce"].as_str()),
        (Some("frank@example.com"), Some("n1"))
    );

    // This client may not use codes.
    let reply = browser.get(&authorize("code")).await;
    assert!(
        reply
            .location()
            .unwrap()
            .contains("error=unauthorized_client"),
        "{:?}",
        reply.location()
    );
}

#[tokio::test]
async fn rp_initiated_logout_takes_an_id_token_hint_and_gives_state_back() {
    let mut browser = Browser::new().await;
    browser.sign_up("rp@example.com", "s").await;
    let code = browser.code_via_session().await;
    let tokens = browser.exchange(&code_grant(&code)).await.json();
    let id_token = tokens["id_token"].as_str().unwrap().to_owned();
    let access_token = tokens["access_token"].as_str().unwrap().to_owned();
    let logout = |hint: &str, extra: &str| {
        format!(
            "/logout?id_token_hint={hint}&post_logout_redirect_uri=http%3A%2F%2F127.0.0.1%3A3000%2F{extra}"
        )
    };

    // Not an ID token, or another client's than client_id: refused, still signed in.
    for refused in [
        logout(&access_token, ""),
        logout("not.a.token", ""),
        logout(&id_token, &format!("&client_id={OTHER_CLIENT}")),
    ] {
        let reply = browser.get(&refused).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{refused}");
    }
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&oauth_params("s"))))
        .await;
    assert!(reply.location().unwrap().starts_with(CALLBACK));

    // The hint names the client: signed out, back at its logout URL with the state.
    let reply = browser.get(&logout(&id_token, "&state=bye")).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    assert_eq!(reply.location(), Some("http://127.0.0.1:3000/?state=bye"));
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&oauth_params("s"))))
        .await;
    assert!(
        reply.location().unwrap().starts_with("/login"),
        "signed out"
    );
}

#[tokio::test]
async fn federation_refuses_what_no_sign_in_here_started() {
    let mut browser = Browser::new().await;
    // A provider the client does not list goes back to the client, not upstream.
    let mut params = oauth_params("s1");
    params.push(("identity_provider", "Upstream".into()));
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&params)))
        .await;
    let location = reply.location().unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    assert!(location.contains("error=invalid_request") && location.contains("state=s1"));
    // An identifier no provider of the client has, likewise.
    let mut params = oauth_params("s2");
    params.push(("idp_identifier", "example.com".into()));
    let reply = browser
        .get(&format!("/oauth2/authorize?{}", query(&params)))
        .await;
    assert!(reply.location().unwrap().contains("error=invalid_request"));
    // Answers at the callback that no sign-in of this browser waits for: the pool's page, never a 500.
    for answer in [
        "",
        "?code=c0de",
        "?code=c0de&state=forged",
        "?error=access_denied&state=forged",
    ] {
        let reply = browser.get(&format!("/oauth2/idpresponse{answer}")).await;
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{answer}");
        assert!(reply.body.contains("unknown or has expired"), "{answer}");
    }
    // With the browser's cookie but no sign-in stored under that state, the same.
    browser
        .cookies
        .insert("cognito-idp-state".into(), "forged".into());
    let reply = browser
        .get("/oauth2/idpresponse?code=c0de&state=forged")
        .await;
    assert_eq!(reply.status, StatusCode::BAD_REQUEST);
}
