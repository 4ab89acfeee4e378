mod common;

use common::{Engine, GOOD_PASSWORD, TestApp, json, spawn_app};
use reqwest::StatusCode;
use serde_json::json;

async fn refresh(app: &TestApp, token: &str) -> reqwest::Response {
    app.post("/api/v1/auth/refresh", json!({"refresh_token": token}))
        .await
}

async fn full_session_lifecycle(engine: Engine) {
    let app = spawn_app(engine).await;

    let registered = app
        .register(" Ada@Example.com ", GOOD_PASSWORD, "Ada Lovelace")
        .await;
    assert_eq!(registered.status(), StatusCode::CREATED);
    let registered = json(registered).await;
    assert_eq!(registered["user"]["email"], "ada@example.com");
    assert_eq!(registered["user"]["role"], "customer");
    assert_eq!(registered["token_type"], "Bearer");
    assert_eq!(registered["expires_in"], 900);
    assert_eq!(app.outbox_types().await, vec!["user.registered"]);

    let login = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "ADA@example.com", "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(login.status(), StatusCode::OK);
    let login = json(login).await;
    let access = login["access_token"].as_str().expect("access token");
    let first_refresh = login["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();

    let me = app.me(access).await;
    assert_eq!(me.status(), StatusCode::OK);
    assert_eq!(json(me).await["id"], registered["user"]["id"]);

    let rotated = refresh(&app, &first_refresh).await;
    assert_eq!(rotated.status(), StatusCode::OK);
    let rotated = json(rotated).await;
    let second_refresh = rotated["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    assert_ne!(second_refresh, first_refresh);
    assert_eq!(
        app.me(rotated["access_token"].as_str().expect("token"))
            .await
            .status(),
        StatusCode::OK
    );

    // The old refresh token no longer works.
    let reused = refresh(&app, &first_refresh).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(reused.headers()["content-type"], "application/problem+json");

    // That reuse revoked the whole family, so the successor is dead too.
    assert_eq!(
        refresh(&app, &second_refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );

    // A new login starts a new family; logout ends it.
    let login = json(
        app.post(
            "/api/v1/auth/login",
            json!({"email": "ada@example.com", "password": GOOD_PASSWORD}),
        )
        .await,
    )
    .await;
    let third_refresh = login["refresh_token"]
        .as_str()
        .expect("refresh token")
        .to_owned();
    let logout = app
        .post(
            "/api/v1/auth/logout",
            json!({"refresh_token": third_refresh}),
        )
        .await;
    assert_eq!(logout.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        refresh(&app, &third_refresh).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Logging out twice, or with an unknown token, is harmless.
    let again = app
        .post(
            "/api/v1/auth/logout",
            json!({"refresh_token": "not-a-token"}),
        )
        .await;
    assert_eq!(again.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn register_login_me_refresh_logout_on_postgres() {
    full_session_lifecycle(Engine::Postgres).await;
}

#[tokio::test]
async fn register_login_me_refresh_logout_on_sqlite() {
    full_session_lifecycle(Engine::Sqlite).await;
}

#[tokio::test]
async fn reuse_of_a_rotated_token_kills_every_token_of_its_family() {
    let app = spawn_app(Engine::Postgres).await;
    let session = json(app.register("eve@example.com", GOOD_PASSWORD, "Eve").await).await;
    let stolen = session["refresh_token"].as_str().expect("token").to_owned();
    // The legitimate client rotates twice.
    let second = json(refresh(&app, &stolen).await).await["refresh_token"]
        .as_str()
        .expect("t")
        .to_owned();
    let third = json(refresh(&app, &second).await).await["refresh_token"]
        .as_str()
        .expect("t")
        .to_owned();
    // The thief replays the stolen token: rejected, and the client's current token dies with it.
    assert_eq!(
        refresh(&app, &stolen).await.status(),
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        refresh(&app, &third).await.status(),
        StatusCode::UNAUTHORIZED
    );
    // Other sessions of the same user are separate families and survive.
    let other = json(
        app.post(
            "/api/v1/auth/login",
            json!({"email": "eve@example.com", "password": GOOD_PASSWORD}),
        )
        .await,
    )
    .await;
    let other_token = other["refresh_token"].as_str().expect("token");
    assert_eq!(refresh(&app, other_token).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn login_answers_the_same_for_an_unknown_email_and_a_wrong_password() {
    let app = spawn_app(Engine::Postgres).await;
    app.register("known@example.com", GOOD_PASSWORD, "Known")
        .await;
    let wrong_password = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "known@example.com", "password": "not the password"}),
        )
        .await;
    let unknown_email = app
        .post(
            "/api/v1/auth/login",
            json!({"email": "nobody@example.com", "password": GOOD_PASSWORD}),
        )
        .await;
    assert_eq!(wrong_password.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(unknown_email.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(json(wrong_password).await, json(unknown_email).await);
}

#[tokio::test]
async fn jwks_publishes_the_ed25519_signing_key() {
    let app = spawn_app(Engine::Sqlite).await;
    let jwks = json(
        app.client
            .get(app.url("/.well-known/jwks.json"))
            .send()
            .await
            .expect("jwks"),
    )
    .await;
    let keys = jwks["keys"].as_array().expect("keys");
    assert_eq!(keys.len(), 1);
    assert_eq!(keys[0]["kty"], "OKP");
    assert_eq!(keys[0]["crv"], "Ed25519");
    assert_eq!(keys[0]["alg"], "EdDSA");
    assert!(
        keys[0].get("d").is_none(),
        "the private part must never be published"
    );
}

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let app = spawn_app(Engine::Postgres).await;
    let healthz = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert_eq!(healthz.status(), StatusCode::OK);
    let readyz = app
        .client
        .get(app.url("/readyz"))
        .send()
        .await
        .expect("readyz");
    assert_eq!(readyz.status(), StatusCode::OK);
    assert_eq!(json(readyz).await["checks"]["database"], "ok");
    app.register("metrics@example.com", GOOD_PASSWORD, "M")
        .await;
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("metrics");
    assert!(response.headers().contains_key("x-request-id"));
    let metrics = response.text().await.expect("text");
    assert!(metrics.contains("http_requests_total"), "{metrics}");
    assert!(
        metrics.contains("route=\"/api/v1/auth/register\""),
        "{metrics}"
    );
    assert!(
        metrics.contains("http_request_duration_seconds_bucket"),
        "{metrics}"
    );
}

#[tokio::test]
async fn a_client_request_id_is_echoed_and_one_is_made_up_otherwise() {
    let app = spawn_app(Engine::Sqlite).await;
    let echoed = app
        .client
        .get(app.url("/healthz"))
        .header("x-request-id", "req-123")
        .send()
        .await
        .expect("healthz");
    assert_eq!(echoed.headers()["x-request-id"], "req-123");
    let generated = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("healthz");
    assert!(!generated.headers()["x-request-id"].is_empty());
}
