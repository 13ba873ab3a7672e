//! The limits on guessing: per-account lockout, per-address throttling (behind trusted proxies too, shared by pools on one database), and answers that do not tell accounts from other names.

use super::*;

#[tokio::test]
async fn sign_in_failures_reveal_nothing_and_lock_out() {
    let mut browser = Browser::new().await;
    browser.sign_up("carol@example.com", "s").await;
    browser
        .get(&format!("/logout?client_id={CLIENT}&logout_uri={LOGOUT}"))
        .await;

    let unknown = browser.sign_in("nobody@example.com", PASSWORD).await;
    let wrong = browser.sign_in("carol@example.com", "wrong password").await;
    for reply in [&unknown, &wrong] {
        assert_eq!(reply.status, StatusCode::OK);
        assert!(
            reply.body.contains("Incorrect username or password."),
            "{}",
            reply.body
        );
    }

    // Signing up again with a confirmed address looks like success; the owner gets a notice.
    let params = oauth_params("s");
    let csrf = browser
        .get(&format!("/signup?{}", query(&params)))
        .await
        .csrf();
    let reply = browser
        .post(
            "/signup",
            &form(
                &params,
                &[
                    ("_csrf", &csrf),
                    ("username", "carol@example.com"),
                    ("password", "another password"),
                ],
            ),
        )
        .await;
    assert!(reply.location().unwrap().starts_with("/confirm?"));
    let notice = browser.last_mail("carol@example.com").await;
    assert!(
        !notice["body"]
            .as_str()
            .unwrap()
            .chars()
            .any(|c| c.is_ascii_digit())
    );
    assert_eq!(
        browser.sign_in("carol@example.com", PASSWORD).await.status,
        StatusCode::FOUND
    );
    browser
        .get(&format!("/logout?client_id={CLIENT}&logout_uri={LOGOUT}"))
        .await;

    // Five failures lock the account, even for the right password.
    for _ in 0..5 {
        browser.sign_in("carol@example.com", "wrong password").await;
    }
    let reply = browser.sign_in("carol@example.com", PASSWORD).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("Password attempts exceeded"),
        "{}",
        reply.body
    );

    // Password policy.
    let csrf = browser
        .get(&format!("/signup?{}", query(&params)))
        .await
        .csrf();
    let reply = browser
        .post(
            "/signup",
            &form(
                &params,
                &[
                    ("_csrf", &csrf),
                    ("username", "dave@example.com"),
                    ("password", "short"),
                ],
            ),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("Password not long enough"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn an_address_that_keeps_failing_is_turned_away_and_others_are_not() {
    let mut browser = Browser::new().await;
    browser
        .pool
        .seed_user("ivan@example.com", PASSWORD, &[])
        .await
        .unwrap();
    let mut from = async |address: &str, forwarded_for: &str, body: String| {
        let headers = [("x-forwarded-for", forwarded_for)];
        browser
            .cognito_from(address, &headers, "InitiateAuth", &body)
            .await
    };
    // Guessing across many accounts from one address; without trusted proxies,
    // a forwarded address changes nothing (anyone can send one).
    for n in 0..50 {
        let reply = from(
            "192.0.2.7",
            &format!("198.51.100.{n}"),
            password_sign_in(&format!("user{n}@example.com"), "guess"),
        )
        .await;
        assert_eq!(reply.json()["__type"], "NotAuthorizedException");
    }
    let right = || password_sign_in("ivan@example.com", PASSWORD);
    let refused = from("192.0.2.7", "198.51.100.200", right()).await;
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(refused.json()["__type"], "TooManyRequestsException");
    assert!(refused.header(header::RETRY_AFTER).parse::<i64>().unwrap() > 0);
    // The account itself is fine, from anywhere else.
    let elsewhere = from("198.51.100.1", "192.0.2.7", right()).await;
    assert_eq!(elsewhere.status, StatusCode::OK, "{}", elsewhere.body);
    // Without trusted proxies, loopback (a reverse proxy on the host) is never throttled by address.
    for _ in 0..60 {
        from(
            "127.0.0.1",
            "192.0.2.9",
            password_sign_in("nobody@example.com", "guess"),
        )
        .await;
    }
    let local = from("127.0.0.1", "192.0.2.9", right()).await;
    assert_eq!(local.status, StatusCode::OK, "{}", local.body);
}

#[tokio::test]
async fn behind_a_trusted_proxy_each_forwarded_client_has_its_own_limit() {
    let (mut config, dir) = test_config(true).await;
    config.set_trusted_proxies("127.0.0.1");
    let mut browser = Browser::open((config, dir)).await;
    browser
        .pool
        .seed_user("ivan@example.com", PASSWORD, &[])
        .await
        .unwrap();
    let mut via_proxy = async |forwarded_for: &str, body: String| {
        let headers = [("x-forwarded-for", forwarded_for)];
        browser
            .cognito_from("127.0.0.1", &headers, "InitiateAuth", &body)
            .await
    };
    for n in 0..50 {
        // What the client puts left of its own address is its claim, not the proxy's word.
        let claim = format!("203.0.113.{n}, 198.51.100.7");
        let reply = via_proxy(
            &claim,
            password_sign_in(&format!("user{n}@example.com"), "guess"),
        )
        .await;
        assert_eq!(reply.json()["__type"], "NotAuthorizedException");
    }
    let right = || password_sign_in("ivan@example.com", PASSWORD);
    let refused = via_proxy("198.51.100.7", right()).await;
    assert_eq!(
        refused.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{}",
        refused.body
    );
    assert!(refused.header(header::RETRY_AFTER).parse::<i64>().unwrap() > 0);
    let neighbour = via_proxy("198.51.100.8", right()).await;
    assert_eq!(neighbour.status, StatusCode::OK, "{}", neighbour.body);
}

#[tokio::test]
async fn pools_on_one_database_share_their_failure_counts() {
    let (config, dir) = test_config(true).await;
    let mut one = Browser::open((config.clone(), dir)).await;
    let other = UserPool::open(config).await.unwrap();
    let mut two = Browser {
        router: other.router(),
        pool: other,
        cookies: HashMap::new(),
        _dir: tempfile::tempdir().unwrap(),
    };
    one.pool
        .seed_user("ivan@example.com", PASSWORD, &[])
        .await
        .unwrap();
    let guess = |n: usize| password_sign_in(&format!("user{n}@example.com"), "guess");
    for n in 0..50 {
        let replica = if n % 2 == 0 { &mut one } else { &mut two };
        let reply = replica
            .cognito_from("192.0.2.7", &[], "InitiateAuth", &guess(n))
            .await;
        assert_eq!(reply.json()["__type"], "NotAuthorizedException");
    }
    let right = password_sign_in("ivan@example.com", PASSWORD);
    for replica in [&mut one, &mut two] {
        let reply = replica
            .cognito_from("192.0.2.7", &[], "InitiateAuth", &right)
            .await;
        assert_eq!(
            reply.status,
            StatusCode::TOO_MANY_REQUESTS,
            "{}",
            reply.body
        );
    }
    // So does the lockout of a name: five failures, spread over both, lock it on both.
    let wrong = password_sign_in("ivan@example.com", "wrong password");
    for n in 0..5 {
        let replica = if n % 2 == 0 { &mut one } else { &mut two };
        replica
            .cognito_from("198.51.100.1", &[], "InitiateAuth", &wrong)
            .await;
    }
    for replica in [&mut one, &mut two] {
        let reply = replica
            .cognito_from("198.51.100.2", &[], "InitiateAuth", &right)
            .await;
        assert_eq!(reply.json()["message"], "Password attempts exceeded");
    }
}

#[tokio::test]
async fn an_unknown_name_is_refused_and_locked_out_exactly_as_an_account() {
    let mut browser = Browser::new().await;
    browser
        .pool
        .seed_user("kate@example.com", PASSWORD, &[])
        .await
        .unwrap();
    // The unknown name in two spellings: it is counted as one name, normalized.
    let unknown = ["Kyle@Example.com ", "kyle@example.com"];
    for attempt in 1..=7 {
        let known = browser
            .cognito(
                "InitiateAuth",
                &password_sign_in("kate@example.com", "wrong"),
                false,
            )
            .await;
        let spelling = unknown[attempt % 2];
        let nobody = browser
            .cognito("InitiateAuth", &password_sign_in(spelling, "wrong"), false)
            .await;
        assert_eq!(
            (
                known.status,
                known.header(header::HeaderName::from_static("x-amzn-errortype")),
                &known.body
            ),
            (
                nobody.status,
                nobody.header(header::HeaderName::from_static("x-amzn-errortype")),
                &nobody.body
            ),
            "attempt {attempt}"
        );
        // Each round fails twice (here and in the hosted UI): the fifth failure,
        // in the third round, locks; while locked, nothing more is counted.
        let expected = if attempt < 3 {
            "Incorrect username or password."
        } else {
            "Password attempts exceeded"
        };
        assert_eq!(known.json()["message"], expected, "attempt {attempt}");

        // The hosted UI says the same to both.
        let error = |reply: &Reply| {
            let marker = r#"<p class="message error errorMessage-customizable" role="alert">"#;
            let start = reply.body.find(marker).expect("an error") + marker.len();
            let end = start + reply.body[start..].find("</p>").unwrap();
            reply.body[start..end].to_owned()
        };
        let known = browser.sign_in("kate@example.com", "wrong").await;
        let nobody = browser.sign_in(spelling, "wrong").await;
        assert_eq!(known.status, nobody.status);
        assert_eq!(error(&known), error(&nobody), "attempt {attempt}");
    }
    // Both counted five failures, so both are locked for as long; the unknown
    // name is kept only as a digest.
    let store = browser.pool.store();
    let kate = store
        .user_by_email("kate@example.com")
        .await
        .unwrap()
        .unwrap();
    let pool_id = browser.pool.config().pool_id();
    let known = store
        .login_failures(&crate::secrets::digest(&format!("{pool_id}\0{}", kate.sub)))
        .await
        .unwrap();
    let nobody = store
        .login_failures(&crate::secrets::digest(&format!(
            "{pool_id}\0kyle@example.com"
        )))
        .await
        .unwrap();
    assert_eq!((known.failures, nobody.failures), (5, 5));
    assert!(known.locked_until > crate::now() && nobody.locked_until > crate::now());
    // The right password does not help while locked.
    let reply = browser
        .cognito(
            "InitiateAuth",
            &password_sign_in("kate@example.com", PASSWORD),
            false,
        )
        .await;
    assert_eq!(reply.json()["__type"], "NotAuthorizedException");
}

#[tokio::test]
async fn a_password_reset_answers_alike_for_accounts_and_other_addresses() {
    let mut browser = Browser::new().await;
    browser
        .pool
        .seed_user("kate@example.com", PASSWORD, &[])
        .await
        .unwrap();
    // An unconfirmed account has no proven address: it is answered as an unknown one.
    let sign_up = format!(
        r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","Username":"kim@example.com","Password":"{PASSWORD}"}}"#
    );
    let reply = browser.cognito("SignUp", &sign_up, false).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    // Names alike enough that the masked destinations ("k***@e***") are too.
    let names = ["kate@example.com", "kim@example.com", "kyle@example.com"];
    let forgot =
        |name: &str| format!(r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","Username":"{name}"}}"#);
    // (The chance that 000000 is the code is ignored.)
    let guess = |name: &str| {
        format!(
            r#"{{"ClientId":"5cr1pt5c1ient0leptos0cog","Username":"{name}","ConfirmationCode":"000000","Password":"a new password"}}"#
        )
    };
    let b = &mut browser;
    // No code asked for yet.
    let (_, reply) = alike(b, &names, "ConfirmForgotPassword", guess).await;
    assert_eq!(reply["__type"], "ExpiredCodeException");
    // A code "sent"; five wrong guesses, then it is dead until the next one.
    let (status, reply) = alike(b, &names, "ForgotPassword", forgot).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    for _ in 0..5 {
        let (_, reply) = alike(b, &names, "ConfirmForgotPassword", guess).await;
        assert_eq!(reply["__type"], "CodeMismatchException");
    }
    let (_, reply) = alike(b, &names, "ConfirmForgotPassword", guess).await;
    assert_eq!(reply["__type"], "LimitExceededException");
    alike(b, &names, "ForgotPassword", forgot).await;
    let (_, reply) = alike(b, &names, "ConfirmForgotPassword", guess).await;
    assert_eq!(reply["__type"], "CodeMismatchException");
    // Only the account was mailed a code.
    assert!(browser.last_mail("kate@example.com").await["body"].is_string());
    let reply = browser.get("/_dev/outbox.json?to=kyle@example.com").await;
    assert_eq!(reply.json(), serde_json::json!([]));
}
