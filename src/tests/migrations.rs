//! The data across releases and pools: migrations from an older schema, a failing migration, export and import.

use super::*;

/// A connection to `database` with only its first `count` migrations applied.
async fn database_as_of(database: &crate::Database, count: usize) -> sqlx::AnyPool {
    let old = tempfile::tempdir().unwrap();
    older_migrations(database, old.path(), count);
    let db = crate::store::connect(database).await.unwrap();
    sqlx::migrate::Migrator::new(old.path())
        .await
        .unwrap()
        .run(&db)
        .await
        .unwrap();
    db
}

#[tokio::test]
async fn users_of_an_older_schema_still_sign_in_after_the_upgrade() {
    let (config, _dir) = test_config(true).await;
    let database = config.database();
    // A database as release 0.1 (migrations 0001-0002) left it, with a confirmed user.
    let db = database_as_of(&database, 2).await;
    let hash = crate::password::Hasher::new()
        .await
        .unwrap()
        .hash(PASSWORD)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO users (sub, email, password_hash, confirmed, created_at, updated_at)
         VALUES ('7e1c0f5e-0000-4000-8000-000000000001', 'old@example.com', $1, TRUE, 1, 1)",
    )
    .bind(&hash)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;

    // The new release opens it: the remaining migrations apply, the user signs in.
    let pool = UserPool::open(config).await.unwrap();
    match crate::accounts::sign_in(
        &pool,
        crate::triggers::event::Caller::administrator(),
        "old@example.com",
        PASSWORD,
        crate::now(),
    )
    .await
    .unwrap()
    {
        crate::accounts::SignIn::Authenticated(user) => {
            assert!(user.enabled && !user.force_password_change);
        }
        _ => panic!("the old user could not sign in"),
    }
}

#[tokio::test]
async fn a_failing_migration_leaves_the_database_as_it_was() {
    let (config, _dir) = test_config(true).await;
    let database = config.database();
    drop(crate::store::Store::open(&database).await.unwrap());
    // Today's migrations, then a broken one.
    let next = tempfile::tempdir().unwrap();
    let today = std::fs::read_dir(crate::store::migrations_dir(&database))
        .unwrap()
        .count();
    older_migrations(&database, next.path(), today);
    std::fs::write(
        next.path().join("9999_broken.sql"),
        "ALTER TABLE users ADD COLUMN half_done INTEGER; SELECT no_such_function();",
    )
    .unwrap();
    let db = crate::store::connect(&database).await.unwrap();
    let error = sqlx::migrate::Migrator::new(next.path())
        .await
        .unwrap()
        .run(&db)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("9999"), "{error}");
    // Its first statement was rolled back with it, and it is not recorded.
    let half_done = sqlx::query("SELECT half_done FROM users")
        .fetch_all(&db)
        .await;
    assert!(half_done.is_err(), "the column half_done was left behind");
    let recorded: i64 =
        sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations WHERE version = 9999")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(recorded, 0);
    // And the pool still opens it.
    drop(db);
    UserPool::open(config).await.unwrap();
}

#[tokio::test]
async fn exported_users_sign_in_to_another_pool_with_their_old_passwords() {
    // From SQLite to the run's database: PostgreSQL in `make test`'s second run.
    let mut source = Browser::on_sqlite().await;
    let pool_id = source.pool.config().pool_id().to_owned();
    source.sign_up("grace@example.com", "s").await;
    for (operation, body) in [
        (
            "CreateGroup",
            format!(
                r#"{{"UserPoolId":"{pool_id}","GroupName":"Admin","Precedence":1,"RoleArn":"arn:aws:iam::123456789012:role/admin"}}"#
            ),
        ),
        (
            "AdminAddUserToGroup",
            format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"grace@example.com","GroupName":"Admin"}}"#
            ),
        ),
        (
            "AdminUpdateUserAttributes",
            format!(
                r#"{{"UserPoolId":"{pool_id}","Username":"grace@example.com","UserAttributes":[{{"Name":"name","Value":"Grace"}}]}}"#
            ),
        ),
        (
            "CreateIdentityProvider",
            format!(
                r#"{{"UserPoolId":"{pool_id}","ProviderName":"Upstream","ProviderType":"OIDC","ProviderDetails":{{"client_id":"c","client_secret":"s","authorize_scopes":"openid","oidc_issuer":"https://id.example"}}}}"#
            ),
        ),
        (
            "AdminLinkProviderForUser",
            format!(
                r#"{{"UserPoolId":"{pool_id}","DestinationUser":{{"ProviderName":"Cognito","ProviderAttributeValue":"grace@example.com"}},"SourceUser":{{"ProviderName":"Upstream","ProviderAttributeName":"Cognito_Subject","ProviderAttributeValue":"grace-upstream"}}}}"#
            ),
        ),
    ] {
        let reply = source.cognito(operation, &body, true).await;
        assert_eq!(reply.status, StatusCode::OK, "{operation}: {}", reply.body);
    }
    let mut export = Vec::new();
    assert_eq!(source.pool.export_users(&mut export).await.unwrap(), 1);
    let text = String::from_utf8(export.clone()).unwrap();
    assert_eq!(text.lines().count(), 2, "{text}");
    assert!(text.contains("$argon2id$"), "{text}");

    let target = Browser::new().await;
    let summary = target.pool.import_users(&export[..]).await.unwrap();
    assert_eq!(
        summary,
        crate::ImportSummary {
            users: 1,
            groups: 1,
            skipped: 0
        }
    );
    let user = match crate::accounts::sign_in(
        &target.pool,
        crate::triggers::event::Caller::administrator(),
        "grace@example.com",
        PASSWORD,
        crate::now(),
    )
    .await
    .unwrap()
    {
        crate::accounts::SignIn::Authenticated(user) => user,
        _ => panic!("the imported user could not sign in"),
    };
    assert_eq!(
        target.pool.store().groups(&user.sub).await.unwrap(),
        ["Admin"]
    );
    // Her upstream identity signs in as her in the target too.
    assert_eq!(
        target
            .pool
            .store()
            .federated_user("Upstream", "grace-upstream")
            .await
            .unwrap(),
        Some(user.sub.clone())
    );
    let group = target.pool.store().group("Admin").await.unwrap().unwrap();
    assert_eq!(
        (group.precedence, group.role_arn.as_deref()),
        (Some(1), Some("arn:aws:iam::123456789012:role/admin"))
    );
    assert_eq!(
        target.pool.store().attributes(&user.sub).await.unwrap(),
        [("name".to_owned(), "Grace".to_owned())]
    );
    // Importing again changes nothing; a bad file changes nothing either.
    let again = target.pool.import_users(&export[..]).await.unwrap();
    assert_eq!((again.users, again.skipped), (0, 1));
    let empty = Browser::new().await;
    let bad = format!("{text}{{\"type\":\"user\",\"sub\":\"x\"}}\n");
    let error = empty.pool.import_users(bad.as_bytes()).await.unwrap_err();
    assert!(error.to_string().starts_with("line 3:"), "{error}");
    assert!(
        empty
            .pool
            .store()
            .user_by_email("grace@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

#[tokio::test]
async fn the_pool_of_the_release_before_pools_becomes_the_declared_pool() {
    let (config, dir) = test_config(true).await;
    let database = config.database();
    // A database as the release before pools (migrations 0001-0009) left it: a
    // confirmed user in a group, and the signing key its tokens were signed with.
    let db = database_as_of(&database, 9).await;
    let hash = crate::password::hash_blocking(PASSWORD).unwrap();
    let sub = "7e1c0f5e-0000-4000-8000-000000000009";
    let key = {
        use aws_lc_rs::encoding::AsDer;
        let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
        pair.as_der().unwrap().as_ref().to_vec()
    };
    for (statement, binds) in [
        (
            "INSERT INTO users (sub, email, password_hash, confirmed, created_at, updated_at)
             VALUES ($1, 'before@example.com', $2, TRUE, 1, 1)",
            vec![sub, hash.as_str()],
        ),
        (
            "INSERT INTO groups (name, precedence, created_at, updated_at) VALUES ('Admin', 1, 1, 1)",
            vec![],
        ),
        (
            "INSERT INTO user_groups (sub, group_name) VALUES ($1, 'Admin')",
            vec![sub],
        ),
    ] {
        let mut query = sqlx::query(statement);
        for bind in binds {
            query = query.bind(bind);
        }
        query.execute(&db).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO signing_keys (kid, pkcs8, created_at, active_from) VALUES ('old-kid', $1, 1, 0)",
    )
    .bind(key)
    .execute(&db)
    .await
    .unwrap();
    db.close().await;

    // This release opens it: everything is the declared pool's, under its id.
    let pool = UserPool::open(config).await.unwrap();
    let pool_id = pool.config().pool_id().to_owned();
    let user = match crate::accounts::sign_in(
        &pool,
        crate::triggers::event::Caller::administrator(),
        "before@example.com",
        PASSWORD,
        crate::now(),
    )
    .await
    .unwrap()
    {
        crate::accounts::SignIn::Authenticated(user) => user,
        _ => panic!("the user of the release before could not sign in"),
    };
    assert_eq!((user.sub.as_str(), user.username.as_str()), (sub, sub));
    assert_eq!(pool.store().groups(sub).await.unwrap(), ["Admin"]);
    let jwks = serde_json::to_value(pool.key().jwks()).unwrap();
    assert!(
        jwks["keys"]
            .as_array()
            .unwrap()
            .iter()
            .any(|k| k["kid"] == "old-kid"),
        "{jwks}"
    );
    let stored = pool.server_store().pool(&pool_id).await.unwrap().unwrap();
    assert_eq!(stored.name, "leptos-cognito");
    assert!(pool.server_store().pool("").await.unwrap().is_none());
    // And its users are in no other pool.
    let mut browser = Browser {
        router: pool.router(),
        pool,
        cookies: HashMap::new(),
        _dir: dir,
    };
    let created = browser
        .cognito("CreateUserPool", r#"{"PoolName":"another"}"#, true)
        .await;
    let other = created.json()["UserPool"]["Id"]
        .as_str()
        .unwrap()
        .to_owned();
    let listed = browser
        .cognito("ListUsers", &format!(r#"{{"UserPoolId":"{other}"}}"#), true)
        .await;
    assert_eq!(listed.json()["Users"], serde_json::json!([]));
}
