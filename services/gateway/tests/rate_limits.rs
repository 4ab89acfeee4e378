//! GCRA limits through the gateway: per user, per IP, stricter on credentials, cluster-wide
//! through Redis, and open (in memory) when Redis is down.

mod common;

use common::{
    Backends, REDIS_URL, TestGateway, assert_problem, dead_address, header, redis_prefix, send,
};

fn number(response: &reqwest::Response, name: &str) -> u64 {
    header(response, name)
        .unwrap_or_else(|| panic!("{name} missing"))
        .parse()
        .unwrap_or_else(|_| panic!("{name} is not a number"))
}

#[tokio::test]
async fn a_burst_over_the_limit_gets_429_with_rate_limit_headers() {
    let backends = Backends::spawn().await;
    let gateway = backends
        .gateway_with(|s| {
            s.rate_limit.requests = 3;
            s.rate_limit.period_secs = 60;
        })
        .await;
    for remaining in [2, 1, 0] {
        let response = send(gateway.get("/graphql")).await;
        assert_eq!(response.status(), 200);
        assert_eq!(number(&response, "ratelimit-limit"), 3);
        assert_eq!(number(&response, "ratelimit-remaining"), remaining);
        assert!(header(&response, "retry-after").is_none());
    }
    let response = send(gateway.get("/graphql")).await;
    assert_eq!(number(&response, "ratelimit-limit"), 3);
    assert_eq!(number(&response, "ratelimit-remaining"), 0);
    // One request refills every 60 s / 3 = 20 s; the whole quota after 60 s.
    let retry_after = number(&response, "retry-after");
    assert!(
        (19..=20).contains(&retry_after),
        "retry-after {retry_after}"
    );
    let reset = number(&response, "ratelimit-reset");
    assert!((59..=60).contains(&reset), "reset {reset}");
    assert_graphql_rate_limited(response).await;
    assert_eq!(
        backends.booking.hits(),
        3,
        "the refused request was not forwarded"
    );
}

#[tokio::test]
async fn behind_a_trusted_proxy_a_spoofed_forwarded_for_does_not_reset_the_budget() {
    let backends = Backends::spawn().await;
    let gateway = backends
        .gateway_with(|s| {
            s.trust_forwarded_headers = true;
            s.trusted_proxies = vec!["198.51.100.0/24".into()];
            s.rate_limit.requests = 2;
            s.rate_limit.period_secs = 60;
        })
        .await;
    // The client invents a new address each time; our CDN (198.51.100.20) and load balancer
    // (the peer) append the real one, 203.0.113.9, which is what the budget follows.
    let spoofed = |n: u32| format!("10.9.8.{n}, 203.0.113.9, 198.51.100.20");
    for n in 0..2 {
        let response = send(
            gateway
                .get("/graphql")
                .header("x-forwarded-for", spoofed(n)),
        )
        .await;
        assert_eq!(response.status(), 200);
    }
    let response = send(
        gateway
            .get("/graphql")
            .header("x-forwarded-for", spoofed(3)),
    )
    .await;
    assert_eq!(response.status(), 429);
    // Another real client still gets through.
    let other = send(
        gateway
            .get("/graphql")
            .header("x-forwarded-for", "203.0.113.10, 198.51.100.20"),
    )
    .await;
    assert_eq!(other.status(), 200);
}

#[tokio::test]
async fn authenticated_users_are_limited_per_user_and_anonymous_callers_per_ip() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway_with(|s| s.rate_limit.requests = 2).await;
    let (_, alice) = backends.keys.customer();
    let (_, bob) = backends.keys.customer();
    for _ in 0..2 {
        let response = send(gateway.get("/graphql").bearer_auth(&alice)).await;
        assert_eq!(response.status(), 200);
    }
    let response = send(gateway.get("/graphql").bearer_auth(&alice)).await;
    assert_eq!(response.status(), 429);
    // Same IP, different budgets.
    assert_eq!(
        send(gateway.get("/graphql").bearer_auth(&bob))
            .await
            .status(),
        200
    );
    assert_eq!(send(gateway.get("/graphql")).await.status(), 200);
    assert_eq!(send(gateway.get("/graphql")).await.status(), 200);
    assert_eq!(send(gateway.get("/graphql")).await.status(), 429);
}

#[tokio::test]
async fn login_and_register_have_a_stricter_limit() {
    let backends = Backends::spawn().await;
    let gateway = backends
        .gateway_with(|s| {
            s.rate_limit.requests = 100;
            s.rate_limit.auth_requests = 2;
        })
        .await;
    assert_eq!(send(gateway.post("/api/v1/auth/login")).await.status(), 200);
    let response = send(gateway.post("/api/v1/auth/register")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(number(&response, "ratelimit-limit"), 2);
    let response = send(gateway.post("/api/v1/auth/login")).await;
    assert_problem(response, 429, "rate_limited").await;
    let response = send(gateway.post("/api/v1/auth/register")).await;
    assert_eq!(response.status(), 429);
    // Everything else still has its own, larger budget.
    let response = send(gateway.get("/graphql")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(number(&response, "ratelimit-limit"), 100);
}

#[tokio::test]
async fn the_web_shops_login_and_register_share_the_stricter_limit_but_its_refresh_does_not() {
    let backends = Backends::spawn().await;
    let gateway = backends
        .gateway_with(|s| {
            s.rate_limit.requests = 100;
            s.rate_limit.auth_requests = 2;
        })
        .await;
    assert_eq!(
        send(gateway.post("/api/v1/auth/session/login"))
            .await
            .status(),
        200
    );
    assert_eq!(
        send(gateway.post("/api/v1/auth/session/register"))
            .await
            .status(),
        200
    );
    let response = send(gateway.post("/api/v1/auth/login")).await;
    assert_problem(response, 429, "rate_limited").await;
    let response = send(gateway.post("/api/v1/auth/session/login")).await;
    assert_eq!(response.status(), 429);
    // A reload refreshes the session under the general budget.
    let response = send(gateway.post("/api/v1/auth/session/refresh")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(number(&response, "ratelimit-limit"), 100);
    assert_eq!(backends.users.hits(), 3);
}

async fn two_gateways(
    backends: &Backends,
    redis_url: Option<String>,
) -> (TestGateway, TestGateway) {
    let prefix = redis_prefix();
    let settings = || {
        let mut settings = backends.settings();
        settings.rate_limit.requests = 4;
        settings.rate_limit.redis_url = redis_url.clone();
        settings.rate_limit.redis_key_prefix = prefix.clone();
        settings
    };
    let a = TestGateway::start(settings(), backends.keys.verifier()).await;
    let b = TestGateway::start(settings(), backends.keys.verifier()).await;
    (a, b)
}

#[tokio::test]
async fn two_gateways_sharing_redis_enforce_one_budget() {
    let backends = Backends::spawn().await;
    let (a, b) = two_gateways(&backends, Some(REDIS_URL.into())).await;
    let (_, token) = backends.keys.customer();
    for (gateway, remaining) in [(&a, 3), (&b, 2), (&a, 1), (&b, 0)] {
        let response = send(gateway.get("/graphql").bearer_auth(&token)).await;
        assert_eq!(response.status(), 200);
        assert_eq!(number(&response, "ratelimit-remaining"), remaining);
    }
    for gateway in [&a, &b] {
        let response = send(gateway.get("/graphql").bearer_auth(&token)).await;
        assert_graphql_rate_limited(response).await;
    }
    assert_eq!(backends.booking.hits(), 4);
    let ready = send(a.get("/readyz")).await;
    assert_eq!(common::json(ready).await["checks"]["redis"], "ok");
}

#[tokio::test]
async fn without_redis_each_gateway_has_its_own_budget() {
    let backends = Backends::spawn().await;
    let (a, b) = two_gateways(&backends, None).await;
    for gateway in [&a, &b] {
        for _ in 0..4 {
            assert_eq!(send(gateway.get("/graphql")).await.status(), 200);
        }
        assert_eq!(send(gateway.get("/graphql")).await.status(), 429);
    }
}

#[tokio::test]
async fn the_gateway_fails_open_to_its_memory_limiter_when_redis_is_down() {
    let backends = Backends::spawn().await;
    let dead = dead_address().await;
    let gateway = backends
        .gateway_with(|s| {
            s.rate_limit.requests = 2;
            s.rate_limit.redis_url = Some(format!("redis://{dead}"));
        })
        .await;
    assert_eq!(send(gateway.get("/graphql")).await.status(), 200);
    assert_eq!(send(gateway.get("/graphql")).await.status(), 200);
    assert_eq!(send(gateway.get("/graphql")).await.status(), 429);
    let ready = send(gateway.get("/readyz")).await;
    assert_eq!(ready.status(), 503);
    let checks = common::json(ready).await["checks"].clone();
    assert!(
        checks["redis"].as_str().unwrap_or("").starts_with("down"),
        "{checks}"
    );
}

/// GraphQL clients get the documented GraphQL error code, with status 429.
async fn assert_graphql_rate_limited(response: reqwest::Response) {
    assert_eq!(response.status(), 429);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        body["errors"][0]["extensions"]["code"], "RATE_LIMITED",
        "{body}"
    );
}
