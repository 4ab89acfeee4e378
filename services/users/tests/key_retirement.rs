//! A rotated-out signing key leaves the JWKS once the longest access token it signed has
//! expired (access token TTL plus the restart grace after the rotation), and not before.

mod common;

use std::time::Duration;

use chrono::Utc;
use common::{Engine, GOOD_PASSWORD, TestApp, json, spawn_app_with};

async fn kids(app: &TestApp, base: &str) -> Vec<String> {
    let jwks = json(
        app.client
            .get(format!("{base}/.well-known/jwks.json"))
            .send()
            .await
            .expect("jwks"),
    )
    .await;
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// Rotates `app`'s key as of `at` and starts the service again on the rotated keys.
async fn restarted_after_rotation(
    app: &TestApp,
    at: chrono::DateTime<Utc>,
) -> (String, String, boxoffice_http::CancellationToken) {
    let old_kid = kids(app, &app.url("")).await.remove(0);
    boxoffice_users::keys::rotate_at(&app.settings.key_dir, at).expect("rotate");
    let shutdown = boxoffice_http::CancellationToken::new();
    let mut settings = app.settings.clone();
    settings.listen = "127.0.0.1:0".parse().expect("addr");
    let rotated = boxoffice_users::start(settings, app.database.clone(), shutdown.clone())
        .await
        .expect("start");
    (format!("http://{}", rotated.http_addr), old_kid, shutdown)
}

#[tokio::test]
async fn the_previous_key_stays_published_while_its_tokens_may_live_then_leaves() {
    let app = spawn_app_with(Engine::Sqlite, |s| {
        s.access_token_ttl_secs = 2;
        s.key_rotation_grace_secs = 0;
    })
    .await;
    app.register("rotate@example.com", GOOD_PASSWORD, "Rotate")
        .await;
    let rotation = Utc::now();
    let (base, old_kid, shutdown) = restarted_after_rotation(&app, rotation).await;
    let published = kids(&app, &base).await;
    assert_eq!(published.len(), 2, "{published:?}");
    assert!(published.contains(&old_kid));

    // Wait (bounded) for the key to leave; it must not leave before the TTL has passed.
    let mut gone = None;
    for _ in 0..100 {
        if !kids(&app, &base).await.contains(&old_kid) {
            gone = Some(Utc::now());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let gone = gone.expect("the previous key leaves the JWKS");
    assert!(
        gone - rotation >= chrono::Duration::seconds(2),
        "{}",
        gone - rotation
    );
    assert_eq!(kids(&app, &base).await.len(), 1);
    shutdown.cancel();
}

#[tokio::test]
async fn a_key_rotated_out_longer_ago_than_the_token_ttl_and_grace_is_not_published() {
    let app = spawn_app_with(Engine::Sqlite, |s| {
        s.access_token_ttl_secs = 15 * 60;
        s.key_rotation_grace_secs = 300;
    })
    .await;
    // Rotated 20 minutes ago: its last token expired 15 minutes after, plus 5 of grace.
    let long_ago = Utc::now() - chrono::Duration::minutes(20) - chrono::Duration::seconds(5);
    let (base, old_kid, shutdown) = restarted_after_rotation(&app, long_ago).await;
    let published = kids(&app, &base).await;
    assert_eq!(published.len(), 1, "{published:?}");
    assert!(!published.contains(&old_kid));
    shutdown.cancel();

    // Rotated 10 minutes ago: still published.
    let app = spawn_app_with(Engine::Sqlite, |_| {}).await;
    let recent = Utc::now() - chrono::Duration::minutes(10);
    let (base, old_kid, shutdown) = restarted_after_rotation(&app, recent).await;
    assert!(kids(&app, &base).await.contains(&old_kid));
    shutdown.cancel();
}
