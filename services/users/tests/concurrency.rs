mod common;

use common::{Engine, GOOD_PASSWORD, spawn_app};
use reqwest::StatusCode;

async fn fifty_registrations_of_one_email_make_one_account(engine: Engine) {
    let app = spawn_app(engine).await;
    let attempts = (0..50).map(|i| {
        let app = &app;
        async move {
            // Different cases and padding: all the same mailbox.
            let email = if i % 2 == 0 {
                "Race@Example.com"
            } else {
                " race@example.COM "
            };
            app.register(email, GOOD_PASSWORD, &format!("Racer {i}"))
                .await
                .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let conflicts = statuses
        .iter()
        .filter(|s| **s == StatusCode::CONFLICT)
        .count();
    assert_eq!(created, 1, "{statuses:?}");
    assert_eq!(conflicts, 49, "{statuses:?}");
    assert_eq!(app.user_count().await, 1);
    assert_eq!(app.outbox_types().await, vec!["user.registered"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_registrations_of_one_email_make_one_account_on_postgres() {
    fifty_registrations_of_one_email_make_one_account(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_registrations_of_one_email_make_one_account_on_sqlite() {
    fifty_registrations_of_one_email_make_one_account(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_with_one_token_let_at_most_one_through() {
    let app = spawn_app(Engine::Postgres).await;
    let session: serde_json::Value = app
        .register("twice@example.com", GOOD_PASSWORD, "Twice")
        .await
        .json()
        .await
        .expect("json");
    let token = session["refresh_token"].as_str().expect("token").to_owned();
    let attempts = (0..10).map(|_| {
        let app = &app;
        let token = token.clone();
        async move {
            app.post(
                "/api/v1/auth/refresh",
                serde_json::json!({"refresh_token": token}),
            )
            .await
            .status()
        }
    });
    let statuses = futures::future::join_all(attempts).await;
    let ok = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert!(ok <= 1, "{statuses:?}");
}
