//! Body size and upstream time limits: answered by the gateway, quickly, as problem+json.

mod common;

use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use common::{Backends, assert_problem, dead_address, json, send};
use futures::SinkExt;
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

#[tokio::test]
async fn a_body_over_the_limit_gets_413_before_reaching_the_upstream() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway_with(|s| s.max_body_bytes = 1024).await;

    let response = send(gateway.post("/api/v1/users/upload").body(vec![b'x'; 1024])).await;
    assert_eq!(json(response).await["received"], 1024);

    let response = send(gateway.post("/api/v1/users/upload").body(vec![b'x'; 1025])).await;
    assert_problem(response, 413, "body_too_large").await;
    assert_eq!(backends.users.hits(), 1);
}

#[tokio::test]
async fn a_streamed_body_without_a_length_is_cut_at_the_limit_with_413() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway_with(|s| s.max_body_bytes = 1024).await;
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(8);
    let feeder = tokio::spawn(async move {
        for _ in 0..4 {
            if tx.send(Ok(Bytes::from(vec![b'x'; 600]))).await.is_err() {
                break;
            }
        }
    });
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let request = hyper::Request::post(gateway.url("/api/v1/users/upload"))
        .body(Body::from_stream(rx))
        .expect("request");
    let response = client.request(request).await.expect("response");
    assert_eq!(response.status(), 413);
    let body = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    let problem: serde_json::Value = serde_json::from_slice(&body).expect("json");
    assert_eq!(problem["code"], "body_too_large");
    feeder.abort();
}

#[tokio::test]
async fn a_slow_upstream_gets_504() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway_with(|s| s.upstream_timeout_ms = 300).await;
    let started = Instant::now();
    let response = send(gateway.get("/api/v1/users/slow")).await;
    let body = assert_problem(response, 504, "upstream_timeout").await;
    assert_eq!(body["service"], "users");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        backends.users.hits(),
        1,
        "the request did reach the upstream"
    );
}

#[tokio::test]
async fn a_down_upstream_gets_503_fast() {
    let backends = Backends::spawn().await;
    let dead = dead_address().await;
    let gateway = backends
        .gateway_with(|s| s.upstreams.booking = format!("http://{dead}"))
        .await;
    let started = Instant::now();
    let response = send(gateway.post("/graphql").body("{}")).await;
    let body = assert_problem(response, 503, "upstream_unavailable").await;
    assert_eq!(body["service"], "booking");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    // The other upstreams are unaffected.
    let response = send(gateway.get("/api/v1/auth/login")).await;
    assert_eq!(response.status(), 200);
}

#[tokio::test]
async fn an_unreachable_upstream_host_gets_503_within_the_connect_timeout() {
    let backends = Backends::spawn().await;
    // TEST-NET-1 (RFC 5737) is never routed: connecting either fails at once or hangs.
    let gateway = backends
        .gateway_with(|s| {
            s.upstreams.booking = "http://192.0.2.1:8103".into();
            s.connect_timeout_ms = 300;
        })
        .await;
    let started = Instant::now();
    let response = send(gateway.post("/graphql").body("{}")).await;
    assert_problem(response, 503, "upstream_unavailable").await;
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "took {:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn a_poster_upload_may_carry_two_mebibytes_and_other_admin_requests_keep_the_limit() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway_with(|s| s.max_body_bytes = 1024).await;
    let (_, admin) = backends.keys.admin();
    let poster = "/api/v1/admin/movies/0190a0e2-0000-7000-8000-000000000003/poster";

    let two_mib = 2 * 1024 * 1024;
    let response = send(
        gateway
            .client
            .put(gateway.url(poster))
            .bearer_auth(&admin)
            .body(vec![b'x'; two_mib]),
    )
    .await;
    assert_eq!(json(response).await["received"], two_mib);
    let response = send(
        gateway
            .client
            .put(gateway.url(poster))
            .bearer_auth(&admin)
            .body(vec![b'x'; two_mib + 1]),
    )
    .await;
    assert_problem(response, 413, "body_too_large").await;
    let response = send(
        gateway
            .post("/api/v1/admin/movies")
            .bearer_auth(&admin)
            .body(vec![b'x'; 1025]),
    )
    .await;
    assert_problem(response, 413, "body_too_large").await;
    assert_eq!(backends.cinema.hits(), 1);
}
