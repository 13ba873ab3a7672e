//! The declared pool's `[triggers]` in the hosted UI: a PreSignUp command that
//! refuses some addresses and confirms others. A refusal is the trigger's own
//! words on the pool's error page, and stores nothing; a confirmed sign-up goes
//! straight back to the app, signed in, without a code.

use axum::http::StatusCode;

use super::*;

/// Refuses addresses at blocked.example, confirms every other sign-up at once.
const PRE_SIGN_UP: &str = r#"
[triggers]
pre_sign_up = ["sh", "-c", "event=$(cat); case \"$event\" in *@blocked.example*) echo 'Sign-ups from blocked.example are closed' >&2; exit 1;; esac; printf '%s' \"$event\" | sed 's/\"autoConfirmUser\":false/\"autoConfirmUser\":true/'"]
"#;

async fn browser_with_triggers() -> Browser {
    let dir = tempfile::tempdir().unwrap();
    let text = CONFIG.to_owned() + OTHER_CLIENT_CONFIG + PRE_SIGN_UP;
    let mut config = Config::from_toml(&text).unwrap();
    config.set_data_dir(dir.path());
    Browser::open((config, dir)).await
}

async fn post_sign_up(browser: &mut Browser, email: &str) -> Reply {
    let params = oauth_params("s");
    let page = browser.get(&format!("/signup?{}", query(&params))).await;
    let csrf = page.csrf();
    let fields = [
        ("_csrf", csrf.as_str()),
        ("username", email),
        ("password", PASSWORD),
    ];
    browser.post("/signup", &form(&params, &fields)).await
}

#[tokio::test]
async fn a_declared_pre_sign_up_trigger_refuses_in_its_own_words_or_confirms_at_once() {
    let mut browser = browser_with_triggers().await;
    let refused = post_sign_up(&mut browser, "mallory@blocked.example").await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert!(
        refused
            .body
            .contains("PreSignUp failed with error Sign-ups from blocked.example are closed."),
        "{}",
        refused.body
    );
    let pool = browser.pool.clone();
    let naming = pool.pool().naming();
    let lookup = naming.lookup("mallory@blocked.example");
    assert!(
        pool.store()
            .user_by_username(&lookup)
            .await
            .unwrap()
            .is_none()
    );

    let admitted = post_sign_up(&mut browser, "ada@trusted.example").await;
    assert_eq!(admitted.status, StatusCode::FOUND, "{}", admitted.body);
    let location = admitted.location().unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    assert!(location.contains("code="), "{location}");
    let lookup = naming.lookup("ada@trusted.example");
    let user = pool
        .store()
        .user_by_username(&lookup)
        .await
        .unwrap()
        .unwrap();
    assert!(user.confirmed);
    let mail = browser
        .get("/_dev/outbox.json?to=ada@trusted.example")
        .await;
    assert_eq!(mail.json(), serde_json::json!([]), "no code was needed");
}
