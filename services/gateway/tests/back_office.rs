//! The minimum role of each back-office route, and the public poster images.

mod common;

use common::{Backends, assert_problem, header, json, send};

const NOTIFICATIONS: &str =
    "/api/v1/admin/notifications?booking_id=0190a0e2-0000-7000-8000-000000000001";

#[tokio::test]
async fn a_customer_token_on_the_notifications_look_up_gets_403() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (_, customer) = backends.keys.customer();
    for path in [NOTIFICATIONS, "/api/v1/admin/notifications/anything"] {
        let response = send(gateway.get(path).bearer_auth(&customer)).await;
        assert_problem(response, 403, "forbidden").await;
    }
    let anonymous = send(gateway.get(NOTIFICATIONS)).await;
    assert_problem(anonymous, 401, "unauthenticated").await;
    assert_eq!(backends.notifications.hits(), 0);
    assert_eq!(backends.cinema.hits(), 0);
}

#[tokio::test]
async fn staff_and_admin_tokens_reach_the_notifications_service_with_their_identity() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (staff, staff_token) = backends.keys.staff();
    let (_, admin_token) = backends.keys.admin();

    let response = send(gateway.get(NOTIFICATIONS).bearer_auth(&staff_token)).await;
    assert_eq!(response.status(), 200);
    let seen = json(response).await;
    assert_eq!(seen["service"], "notifications");
    assert_eq!(seen["uri"], NOTIFICATIONS, "path and query intact");
    assert_eq!(seen["headers"]["x-user-id"], staff.to_string());
    assert_eq!(seen["headers"]["x-user-role"], "staff");

    let response = send(
        gateway
            .get("/api/v1/admin/notifications/sub/path")
            .bearer_auth(&admin_token),
    )
    .await;
    assert_eq!(json(response).await["service"], "notifications");
    assert_eq!(backends.notifications.hits(), 2);
    assert_eq!(backends.cinema.hits(), 0);
}

#[tokio::test]
async fn a_staff_token_on_the_catalog_admin_api_gets_403() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (_, staff) = backends.keys.staff();
    for path in [
        "/api/v1/admin",
        "/api/v1/admin/cinemas",
        "/api/v1/admin/movies",
        // Not the notifications route: only its exact prefix is staff's.
        "/api/v1/admin/notificationsx",
    ] {
        let response = send(gateway.get(path).bearer_auth(&staff)).await;
        assert_problem(response, 403, "forbidden").await;
    }
    assert_eq!(backends.cinema.hits(), 0);
    assert_eq!(backends.notifications.hits(), 0);
}

#[tokio::test]
async fn posters_need_no_token_and_a_stale_one_is_not_looked_at() {
    let backends = Backends::spawn().await;
    let gateway = backends
        .gateway_with(|s| {
            s.rate_limit.requests = 500;
            s.rate_limit.auth_requests = 7;
        })
        .await;
    let path = "/api/v1/posters/0190a0e2-0000-7000-8000-000000000002.svg";

    let response = send(gateway.get(path)).await;
    assert_eq!(response.status(), 200);
    let seen = json(response).await;
    assert_eq!(seen["service"], "cinema");
    assert_eq!(seen["uri"], path);

    let stale = send(gateway.get(path).bearer_auth(backends.keys.expired())).await;
    assert_eq!(stale.status(), 200);
    assert!(json(stale).await["headers"].get("x-user-id").is_none());

    let head = send(gateway.client.head(gateway.url(path))).await;
    assert_eq!(head.status(), 200);
    // Counted under the general policy like any anonymous request.
    assert_eq!(header(&head, "ratelimit-limit").as_deref(), Some("500"));
    assert_eq!(backends.cinema.hits(), 3);
}

#[tokio::test]
async fn posters_are_read_only() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (_, admin) = backends.keys.admin();
    let path = "/api/v1/posters/some-poster.svg";
    for method in [
        reqwest::Method::POST,
        reqwest::Method::PUT,
        reqwest::Method::DELETE,
    ] {
        let response = send(
            gateway
                .client
                .request(method.clone(), gateway.url(path))
                .bearer_auth(&admin),
        )
        .await;
        assert_eq!(response.status(), 405, "{method}");
        let allow = header(&response, "allow").unwrap_or_default();
        assert!(allow.contains("GET"), "{allow}");
    }
    assert_eq!(backends.cinema.hits(), 0);
}
