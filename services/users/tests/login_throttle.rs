//! The per-account login throttle (ADR 0504): after a few failures for one email address,
//! from whatever client addresses, further attempts for that address are refused for a
//! growing delay; other accounts are unaffected; an unknown address gets exactly the same
//! answers, so neither the failure nor the throttle tells whether an account exists.

mod common;

use std::time::{Duration, Instant};

use common::{Engine, GOOD_PASSWORD, TestApp, json, spawn_app_with};
use reqwest::StatusCode;
use serde_json::json as body;

const FREE: u32 = 5;

async fn app(engine: Engine, base_delay_ms: u64) -> TestApp {
    spawn_app_with(engine, |s| {
        s.login_free_attempts = FREE;
        s.login_delay_base_ms = base_delay_ms;
    })
    .await
}

/// A login's status and its exact body bytes.
async fn login(
    app: &TestApp,
    email: &str,
    password: &str,
) -> (StatusCode, Vec<u8>, Option<String>) {
    let response = app
        .post(
            "/api/v1/auth/login",
            body!({"email": email, "password": password}),
        )
        .await;
    let status = response.status();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let bytes = response.bytes().await.expect("body").to_vec();
    (status, bytes, retry_after)
}

async fn throttles_one_address_alike_for_known_and_unknown_emails(engine: Engine) {
    // Long enough that the refusals below are checked well inside the first delay.
    let app = app(engine, 4_000).await;
    app.register("victim@example.com", GOOD_PASSWORD, "Victim")
        .await;
    app.register("bystander@example.com", GOOD_PASSWORD, "Bystander")
        .await;

    for _ in 0..FREE {
        let known = login(&app, "victim@example.com", "wrong password 123").await;
        let unknown = login(&app, "nobody@example.com", "wrong password 123").await;
        assert_eq!(known.0, StatusCode::UNAUTHORIZED);
        assert_eq!(
            (known.0, &known.1),
            (unknown.0, &unknown.1),
            "failures alike"
        );
    }
    // Now even the right password is not checked for the victim's address.
    let started = Instant::now();
    let known = login(&app, "victim@example.com", GOOD_PASSWORD).await;
    let unknown = login(&app, "nobody@example.com", GOOD_PASSWORD).await;
    assert_eq!(known.0, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        (known.0, &known.1),
        (unknown.0, &unknown.1),
        "throttled alike"
    );
    let problem: serde_json::Value = serde_json::from_slice(&known.1).expect("json");
    assert_eq!(problem["code"], "rate_limited", "{problem}");
    assert!(known.2.is_some(), "Retry-After");
    // Case and spaces do not make another address.
    let variant = login(&app, " Victim@Example.COM ", GOOD_PASSWORD).await;
    assert_eq!(variant.0, StatusCode::TOO_MANY_REQUESTS);

    let other = login(&app, "bystander@example.com", GOOD_PASSWORD).await;
    assert_eq!(other.0, StatusCode::OK, "another account is unaffected");

    // Once the delay is over the right password works (refused attempts do not extend it).
    let mut ok = None;
    while started.elapsed() < Duration::from_secs(30) {
        let attempt = login(&app, "victim@example.com", GOOD_PASSWORD).await;
        if attempt.0 == StatusCode::OK {
            ok = Some(started.elapsed());
            break;
        }
        assert_eq!(attempt.0, StatusCode::TOO_MANY_REQUESTS);
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let waited = ok.expect("the correct password works after the delay");
    assert!(waited >= Duration::from_secs(3), "delayed: {waited:?}");
    // And the success reset the count: the next failure is an ordinary 401.
    let again = login(&app, "victim@example.com", "wrong password 123").await;
    assert_eq!(again.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_address_is_throttled_after_repeated_failures_alike_for_unknown_emails_on_postgres() {
    throttles_one_address_alike_for_known_and_unknown_emails(Engine::Postgres).await;
}

#[tokio::test]
async fn an_address_is_throttled_after_repeated_failures_alike_for_unknown_emails_on_sqlite() {
    throttles_one_address_alike_for_known_and_unknown_emails(Engine::Sqlite).await;
}

async fn a_burst_of_guesses_gets_exactly_the_free_attempts(engine: Engine) {
    // Many clients (each their own connection, as from many addresses) guess at once.
    let app = app(engine, 60_000).await;
    app.register("target@example.com", GOOD_PASSWORD, "Target")
        .await;
    let url = app.url("/api/v1/auth/login");
    let mut tasks = Vec::new();
    for i in 0..20 {
        let url = url.clone();
        tasks.push(tokio::spawn(async move {
            reqwest::Client::new()
                .post(url)
                .json(&body!({"email": "target@example.com", "password": format!("guess number {i}")}))
                .send()
                .await
                .expect("login")
                .status()
        }));
    }
    let mut statuses = Vec::new();
    for task in tasks {
        statuses.push(task.await.expect("task"));
    }
    let verified = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(
        (verified, refused),
        (FREE as usize, 20 - FREE as usize),
        "{statuses:?}"
    );
    let right = json(
        app.post(
            "/api/v1/auth/login",
            body!({"email": "target@example.com", "password": GOOD_PASSWORD}),
        )
        .await,
    )
    .await;
    assert_eq!(right["code"], "rate_limited", "{right}");
}

#[tokio::test]
async fn a_burst_of_concurrent_guesses_gets_exactly_the_free_attempts_on_postgres() {
    a_burst_of_guesses_gets_exactly_the_free_attempts(Engine::Postgres).await;
}

#[tokio::test]
async fn a_burst_of_concurrent_guesses_gets_exactly_the_free_attempts_on_sqlite() {
    a_burst_of_guesses_gets_exactly_the_free_attempts(Engine::Sqlite).await;
}
