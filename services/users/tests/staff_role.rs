//! The staff role: granted with `grant-role`, carried by tokens, shown by `me`, and accepted by
//! the schema after the migration that added it.

mod common;

use boxoffice_auth::{Role, TokenRules, Verifier};
use boxoffice_store::Database;
use boxoffice_users::{AccountError, MIGRATIONS};
use common::{Engine, GOOD_PASSWORD, TestApp, json, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn login(app: &TestApp, email: &str) -> serde_json::Value {
    let response = app
        .post(
            "/api/v1/auth/login",
            json!({"email": email, "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    json(response).await
}

async fn a_granted_staff_account_gets_staff_tokens_and_me_says_staff(engine: Engine) {
    let app = spawn_app(engine).await;
    let registered = app
        .register("door@example.com", GOOD_PASSWORD, "Door Keeper")
        .await;
    assert_eq!(registered.status(), StatusCode::CREATED);

    let accounts = boxoffice_users::accounts(&app.settings, app.database.clone())
        .await
        .expect("accounts");
    let granted = accounts
        .grant_role(" Door@Example.com ", Role::Staff)
        .await
        .expect("grant");
    assert_eq!(granted.role, Role::Staff);
    assert_eq!(granted.email, "door@example.com");

    let session = login(&app, "door@example.com").await;
    assert_eq!(session["user"]["role"], "staff");
    let access = session["access_token"].as_str().expect("access token");
    let verifier = Verifier::remote(app.url("/.well-known/jwks.json"), TokenRules::default());
    let claims = verifier.verify(access).await.expect("a valid token");
    assert_eq!(claims.role, Role::Staff);

    let me = app.me(access).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(json(me).await["role"], "staff");

    // Granting replaces the one role: back to customer, the next token says so.
    accounts
        .grant_role("door@example.com", Role::Customer)
        .await
        .expect("grant customer");
    assert_eq!(
        login(&app, "door@example.com").await["user"]["role"],
        "customer"
    );
}

#[tokio::test]
async fn a_granted_staff_account_gets_staff_tokens_and_me_says_staff_on_postgres() {
    a_granted_staff_account_gets_staff_tokens_and_me_says_staff(Engine::Postgres).await;
}

#[tokio::test]
async fn a_granted_staff_account_gets_staff_tokens_and_me_says_staff_on_sqlite() {
    a_granted_staff_account_gets_staff_tokens_and_me_says_staff(Engine::Sqlite).await;
}

async fn granting_a_role_to_an_unknown_email_is_refused(engine: Engine) {
    let app = spawn_app(engine).await;
    let accounts = boxoffice_users::accounts(&app.settings, app.database.clone())
        .await
        .expect("accounts");
    let refused = accounts.grant_role("nobody@example.com", Role::Admin).await;
    assert!(
        matches!(&refused, Err(AccountError::UnknownEmail(email)) if email == "nobody@example.com"),
        "{refused:?}"
    );
    assert!(matches!(
        accounts.grant_role("not an email", Role::Staff).await,
        Err(AccountError::Invalid(_))
    ));
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn granting_a_role_to_an_unknown_email_is_refused_on_postgres() {
    granting_a_role_to_an_unknown_email_is_refused(Engine::Postgres).await;
}

#[tokio::test]
async fn granting_a_role_to_an_unknown_email_is_refused_on_sqlite() {
    granting_a_role_to_an_unknown_email_is_refused(Engine::Sqlite).await;
}

/// Inserts an account and a refresh token of it, then counts the refresh tokens.
macro_rules! seed_and_count {
    ($pool:expr) => {{
        let id = uuid::Uuid::now_v7();
        let now = chrono::Utc::now();
        sqlx::query(
            "INSERT INTO users (id, email, name, password_hash, role, created_at) \
             VALUES ($1, 'old@example.com', 'Old', 'x', 'admin', $2)",
        )
        .bind(id)
        .bind(now)
        .execute($pool)
        .await
        .expect("insert user");
        sqlx::query(
            "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
             VALUES ('h', $1, $2, $3, $3)",
        )
        .bind(uuid::Uuid::now_v7())
        .bind(id)
        .bind(now)
        .execute($pool)
        .await
        .expect("insert token");
    }};
}

macro_rules! after_upgrade {
    ($pool:expr) => {{
        let tokens: i64 = sqlx::query_scalar("SELECT count(*) FROM refresh_tokens")
            .fetch_one($pool)
            .await
            .expect("count");
        let role: String = sqlx::query_scalar("SELECT role FROM users")
            .fetch_one($pool)
            .await
            .expect("role");
        let staff = sqlx::query("UPDATE users SET role = 'staff'")
            .execute($pool)
            .await;
        let unknown = sqlx::query("UPDATE users SET role = 'root'")
            .execute($pool)
            .await;
        (tokens, role, staff.is_ok(), unknown.is_ok())
    }};
}

/// An existing store keeps its accounts and sessions through the migration that adds staff
/// (on SQLite it rebuilds `users`, which a cascade could have emptied `refresh_tokens` of).
async fn upgrading_keeps_accounts_and_sessions_and_accepts_staff(engine: Engine) {
    let url = match engine {
        Engine::Postgres => boxoffice_store::testing::fresh_postgres_url()
            .await
            .expect("database"),
        Engine::Sqlite => boxoffice_store::testing::fresh_sqlite_url(),
    };
    // An empty store: connecting applies every migration, so start from a bare pool.
    let outcome = match engine {
        Engine::Postgres => {
            let pool = sqlx::PgPool::connect(&url).await.expect("connect");
            MIGRATIONS.postgres.run_to(1, &pool).await.expect("0001");
            seed_and_count!(&pool);
            MIGRATIONS.postgres.run(&pool).await.expect("upgrade");
            after_upgrade!(&pool)
        }
        Engine::Sqlite => {
            let options: sqlx::sqlite::SqliteConnectOptions = url.parse().expect("sqlite url");
            // One connection, so the pragma read below is the migration's own connection's.
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options.create_if_missing(true).foreign_keys(true))
                .await
                .expect("connect");
            MIGRATIONS.sqlite.run_to(1, &pool).await.expect("0001");
            seed_and_count!(&pool);
            MIGRATIONS.sqlite.run(&pool).await.expect("upgrade");
            let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(&pool)
                .await
                .expect("pragma");
            assert_eq!(
                foreign_keys, 1,
                "foreign keys are back on after the rebuild"
            );
            after_upgrade!(&pool)
        }
    };
    assert_eq!(outcome, (1, "admin".to_owned(), true, false));
    // And the service's own connect path finds nothing left to do.
    Database::connect(&url, &MIGRATIONS, Default::default())
        .await
        .expect("reconnect");
}

#[tokio::test]
async fn upgrading_keeps_accounts_and_sessions_and_accepts_staff_on_postgres() {
    upgrading_keeps_accounts_and_sessions_and_accepts_staff(Engine::Postgres).await;
}

#[tokio::test]
async fn upgrading_keeps_accounts_and_sessions_and_accepts_staff_on_sqlite() {
    upgrading_keeps_accounts_and_sessions_and_accepts_staff(Engine::Sqlite).await;
}
