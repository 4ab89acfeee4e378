//! The gateway as the binary runs it: keys from the users service's JWKS, graceful shutdown.

mod common;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::routing::get;
use boxoffice_gateway::start;
use boxoffice_http::CancellationToken;
use common::{Backends, assert_problem, json, send};

#[tokio::test]
async fn tokens_verify_against_the_users_service_jwks() {
    let backends = Backends::spawn().await;
    let jwks = backends.keys.jwks();
    let app = Router::new().route(
        "/.well-known/jwks.json",
        get(move || {
            let jwks = jwks.clone();
            async move { axum::Json(jwks) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let jwks_addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    let mut settings = backends.settings();
    settings.jwks_url = format!("http://{jwks_addr}/.well-known/jwks.json");
    let shutdown = CancellationToken::new();
    let running = start(
        settings.clone(),
        Arc::new(settings.remote_verifier()),
        shutdown.clone(),
    )
    .await
    .expect("start");
    let client = reqwest::Client::new();
    let url = format!("http://{}/api/v1/users/me", running.http_addr);

    let (user, token) = backends.keys.customer();
    let response = send(client.get(&url).bearer_auth(&token)).await;
    assert_eq!(
        json(response).await["headers"]["x-user-id"],
        user.to_string()
    );
    let response = send(client.get(&url).bearer_auth(backends.keys.forged())).await;
    assert_problem(response, 401, "invalid_token").await;
    shutdown.cancel();
}

#[tokio::test]
async fn the_gateway_stops_when_shutdown_is_cancelled() {
    let backends = Backends::spawn().await;
    let mut settings = backends.settings();
    settings.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let shutdown = CancellationToken::new();
    let running = start(settings, backends.keys.verifier(), shutdown.clone())
        .await
        .expect("start");
    let addr = running.http_addr;
    let response = send(reqwest::Client::new().get(format!("http://{addr}/healthz"))).await;
    assert_eq!(response.status(), 200);

    shutdown.cancel();
    tokio::time::timeout(Duration::from_secs(10), running.wait())
        .await
        .expect("stopped in time")
        .expect("clean stop");
    assert!(tokio::net::TcpStream::connect(addr).await.is_err());
}

#[tokio::test]
async fn the_default_settings_describe_the_local_deployment() {
    let settings = boxoffice_gateway::Settings::default();
    assert_eq!(settings.listen.to_string(), "127.0.0.1:8000");
    assert_eq!(settings.upstreams.users, "http://127.0.0.1:8101");
    assert_eq!(settings.upstreams.cinema, "http://127.0.0.1:8102");
    assert_eq!(settings.upstreams.booking, "http://127.0.0.1:8103");
    assert_eq!(settings.upstreams.notifications, "http://127.0.0.1:8105");
    assert_eq!(
        settings.jwks_url,
        "http://127.0.0.1:8101/.well-known/jwks.json"
    );
    assert!(settings.rate_limit.redis_url.is_none());
    // An https upstream is refused at start rather than failing every request.
    let mut bad = settings.clone();
    bad.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    bad.upstreams.users = "https://users.internal".into();
    let verifier = Arc::new(bad.remote_verifier());
    assert!(
        start(bad, verifier, CancellationToken::new())
            .await
            .is_err()
    );
}
