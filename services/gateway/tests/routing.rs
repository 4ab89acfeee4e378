//! Which path reaches which service, and what the gateway adds on the way.

mod common;

use common::{Backends, assert_problem, dead_address, header, json, send};

#[tokio::test]
async fn each_public_path_reaches_its_upstream_with_path_and_query_intact() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (_, admin) = backends.keys.admin();
    let (_, customer) = backends.keys.customer();

    let cases = [
        ("/api/v1/auth/login", "users", None),
        ("/api/v1/auth/refresh", "users", None),
        ("/api/v1/users/me?fields=all", "users", Some(&customer)),
        ("/.well-known/jwks.json", "users", None),
        ("/graphql?query=%7Bmovies%7Bid%7D%7D", "booking", None),
        (
            "/api/v1/admin/cinemas/42/auditoriums",
            "cinema",
            Some(&admin),
        ),
    ];
    for (path, service, token) in cases {
        let mut request = gateway.get(path);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = send(request).await;
        assert_eq!(response.status(), 200, "{path}");
        let seen = json(response).await;
        assert_eq!(seen["service"], service, "{path}");
        assert_eq!(seen["uri"], path, "{path}");
        // Plain requests share one HTTP/2 connection per upstream (ADR 0402).
        assert_eq!(seen["version"], "HTTP/2.0", "{path}");
    }
    assert_eq!(backends.users.hits(), 4);
    assert_eq!(backends.booking.hits(), 1);
    assert_eq!(backends.cinema.hits(), 1);
}

#[tokio::test]
async fn payments_and_unknown_paths_are_not_routed() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    for path in ["/api/v1/payments/intents", "/api/v2/anything", "/internal"] {
        assert_problem(send(gateway.get(path)).await, 404, "not_found").await;
    }
    let hits = backends.users.hits() + backends.cinema.hits() + backends.booking.hits();
    assert_eq!(hits, 0);
}

#[tokio::test]
async fn the_root_serves_a_page_that_links_to_graphiql() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let response = send(gateway.get("/")).await;
    assert_eq!(response.status(), 200);
    assert!(
        header(&response, "content-type")
            .unwrap_or_default()
            .starts_with("text/html")
    );
    let page = response.text().await.expect("text");
    assert!(page.contains("boxoffice"));
    assert!(page.contains(r#"href="/graphql""#));
}

#[tokio::test]
async fn request_ids_are_generated_or_passed_through_to_the_upstream() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;

    let response = send(gateway.get("/graphql").header("x-request-id", "req-123")).await;
    assert_eq!(
        header(&response, "x-request-id").as_deref(),
        Some("req-123")
    );
    assert_eq!(json(response).await["headers"]["x-request-id"], "req-123");

    let response = send(gateway.get("/graphql")).await;
    let generated = header(&response, "x-request-id").expect("generated id");
    assert!(!generated.is_empty());
    assert_eq!(json(response).await["headers"]["x-request-id"], generated);
}

#[tokio::test]
async fn the_client_trace_is_continued_and_forwarding_headers_are_set() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let trace = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
    let response = send(
        gateway
            .get("/graphql")
            .header("traceparent", trace)
            .header("x-forwarded-for", "6.6.6.6")
            .header("x-forwarded-proto", "https"),
    )
    .await;
    let seen = json(response).await;
    let headers = &seen["headers"];
    let forwarded_trace = headers["traceparent"].as_str().expect("traceparent");
    assert!(forwarded_trace.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
    assert_ne!(forwarded_trace, trace, "the upstream call is a child span");
    // Untrusted client claims are replaced by what the gateway saw.
    assert_eq!(headers["x-forwarded-for"], "127.0.0.1");
    assert_eq!(headers["x-forwarded-proto"], "http");
    assert_eq!(headers["x-forwarded-host"], gateway.addr.to_string());

    let seen = json(send(gateway.get("/graphql")).await).await;
    let started = seen["headers"]["traceparent"]
        .as_str()
        .expect("traceparent");
    assert!(
        started.starts_with("00-") && started.len() == 55,
        "{started}"
    );
}

#[tokio::test]
async fn forwarded_headers_are_extended_when_the_gateway_trusts_its_proxy() {
    let backends = Backends::spawn().await;
    let gateway = backends
        .gateway_with(|s| s.trust_forwarded_headers = true)
        .await;
    let response = send(
        gateway
            .get("/graphql")
            .header("x-forwarded-for", "6.6.6.6")
            .header("x-forwarded-proto", "https"),
    )
    .await;
    let seen = json(response).await;
    assert_eq!(seen["headers"]["x-forwarded-for"], "6.6.6.6, 127.0.0.1");
    assert_eq!(seen["headers"]["x-forwarded-proto"], "https");
}

#[tokio::test]
async fn hop_by_hop_headers_are_not_forwarded() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let response = send(
        gateway
            .get("/graphql")
            .header("connection", "x-private-hop")
            .header("x-private-hop", "secret")
            .header("proxy-authorization", "Basic Zm9vOmJhcg==")
            .header("x-end-to-end", "kept"),
    )
    .await;
    let headers = &json(response).await["headers"];
    assert!(headers.get("x-private-hop").is_none(), "{headers}");
    assert!(headers.get("proxy-authorization").is_none(), "{headers}");
    assert_eq!(headers["x-end-to-end"], "kept");
}

#[tokio::test]
async fn cors_preflights_are_answered_for_configured_origins_only() {
    let backends = Backends::spawn().await;
    let gateway = backends
        .gateway_with(|s| s.cors_allowed_origins = vec!["https://app.example".into()])
        .await;
    let preflight = |origin: &'static str| {
        gateway
            .client
            .request(reqwest::Method::OPTIONS, gateway.url("/graphql"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header(
                "access-control-request-headers",
                "authorization, content-type",
            )
    };
    let allowed = send(preflight("https://app.example")).await;
    assert_eq!(
        header(&allowed, "access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let refused = send(preflight("https://evil.example")).await;
    assert_eq!(header(&refused, "access-control-allow-origin"), None);

    let simple = send(
        gateway
            .get("/graphql")
            .header("origin", "https://app.example"),
    )
    .await;
    assert_eq!(
        header(&simple, "access-control-allow-origin").as_deref(),
        Some("https://app.example")
    );
    let exposed = header(&simple, "access-control-expose-headers").unwrap_or_default();
    assert!(exposed.contains("ratelimit-remaining"), "{exposed}");
}

#[tokio::test]
async fn health_answers_and_readiness_checks_every_upstream() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    assert_eq!(send(gateway.get("/healthz")).await.status(), 200);
    let ready = send(gateway.get("/readyz")).await;
    assert_eq!(ready.status(), 200);
    let checks = json(ready).await["checks"].clone();
    for upstream in ["users", "cinema", "booking", "notifications"] {
        assert_eq!(checks[upstream], "ok", "{checks}");
    }
    // The public port has no metrics token configured: /metrics is not served there.
    let metrics = send(gateway.get("/metrics")).await;
    assert_eq!(metrics.status(), 404);

    let dead = dead_address().await;
    let degraded = backends
        .gateway_with(|s| s.upstreams.cinema = format!("http://{dead}"))
        .await;
    let ready = send(degraded.get("/readyz")).await;
    assert_eq!(ready.status(), 503);
    let checks = json(ready).await["checks"].clone();
    assert!(
        checks["cinema"].as_str().unwrap_or("").starts_with("down"),
        "{checks}"
    );
    assert_eq!(checks["users"], "ok");
}

#[tokio::test]
async fn metrics_on_the_public_port_need_the_metrics_token() {
    let backends = Backends::spawn().await;
    let token = "metrics-token-for-prometheus-0123";
    let gateway = backends
        .gateway_with(|s| s.metrics_token = boxoffice_config::Secret::new(token))
        .await;
    let anonymous = send(gateway.get("/metrics")).await;
    assert_eq!(anonymous.status(), 401);
    assert_eq!(
        anonymous
            .headers()
            .get("www-authenticate")
            .and_then(|v| v.to_str().ok()),
        Some("Bearer")
    );
    let wrong = send(
        gateway
            .get("/metrics")
            .bearer_auth("metrics-token-for-prometheus-0124"),
    )
    .await;
    assert_eq!(wrong.status(), 401);
    let scraped = send(gateway.get("/metrics").bearer_auth(token)).await;
    assert_eq!(scraped.status(), 200);
    let text = scraped.text().await.expect("body");
    assert!(text.contains("http_requests_total"), "{text}");
}
