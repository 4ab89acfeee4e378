//! The gateway alone vouches for identity: client claims are dropped, tokens are verified.

mod common;

use common::{Backends, assert_problem, json, send};

#[tokio::test]
async fn a_client_supplied_identity_header_never_reaches_an_upstream() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let victim = uuid::Uuid::now_v7().to_string();
    let response = send(
        gateway
            .get("/graphql")
            .header("x-user-id", &victim)
            .header("x-user-role", "admin")
            .header("x-authenticated-user", &victim),
    )
    .await;
    assert_eq!(response.status(), 200);
    let headers = &json(response).await["headers"];
    for name in ["x-user-id", "x-user-role", "x-authenticated-user"] {
        assert!(headers.get(name).is_none(), "{name} leaked: {headers}");
    }
}

#[tokio::test]
async fn a_client_supplied_user_id_is_replaced_by_the_verified_one() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (user, token) = backends.keys.customer();
    let response = send(
        gateway
            .get("/api/v1/users/me")
            .bearer_auth(&token)
            .header("x-user-id", uuid::Uuid::now_v7().to_string())
            .header("x-user-role", "admin"),
    )
    .await;
    let headers = &json(response).await["headers"];
    assert_eq!(headers["x-user-id"], user.to_string());
    assert_eq!(headers["x-user-role"], "customer");
    // Upstreams still verify the token themselves.
    assert_eq!(headers["authorization"], format!("Bearer {token}"));
}

#[tokio::test]
async fn a_forged_token_gets_401_at_the_gateway() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let forged = backends.keys.forged();
    for path in ["/graphql", "/api/v1/users/me", "/api/v1/admin/cinemas"] {
        let response = send(gateway.get(path).bearer_auth(&forged)).await;
        assert_problem(response, 401, "invalid_token").await;
    }
    let response = send(gateway.get("/graphql").bearer_auth("not.a.jwt")).await;
    assert_problem(response, 401, "invalid_token").await;
    let response = send(
        gateway
            .get("/graphql")
            .header("authorization", "Basic Zm9vOmJhcg=="),
    )
    .await;
    assert_problem(response, 401, "invalid_token").await;
    let hits = backends.users.hits() + backends.cinema.hits() + backends.booking.hits();
    assert_eq!(hits, 0, "no upstream saw a forged token");
}

#[tokio::test]
async fn an_expired_token_gets_401_at_the_gateway() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let response = send(
        gateway
            .post("/graphql")
            .bearer_auth(backends.keys.expired()),
    )
    .await;
    assert_problem(response, 401, "invalid_token").await;
    assert_eq!(backends.booking.hits(), 0);
}

#[tokio::test]
async fn a_customer_token_on_admin_routes_gets_403() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (_, customer) = backends.keys.customer();
    for path in [
        "/api/v1/admin",
        "/api/v1/admin/movies",
        "/api/v1/admin/cinemas/1",
    ] {
        let response = send(gateway.post(path).bearer_auth(&customer)).await;
        assert_problem(response, 403, "forbidden").await;
    }
    assert_eq!(backends.cinema.hits(), 0);
}

#[tokio::test]
async fn admin_routes_without_a_token_get_401() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let response = send(gateway.get("/api/v1/admin/cinemas")).await;
    assert_problem(response, 401, "unauthenticated").await;
    assert_eq!(backends.cinema.hits(), 0);
}

#[tokio::test]
async fn an_admin_token_reaches_the_admin_api_with_its_identity() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (admin, token) = backends.keys.admin();
    let response = send(gateway.post("/api/v1/admin/movies").bearer_auth(&token)).await;
    assert_eq!(response.status(), 200);
    let seen = json(response).await;
    assert_eq!(seen["service"], "cinema");
    assert_eq!(seen["method"], "POST");
    assert_eq!(seen["headers"]["x-user-id"], admin.to_string());
    assert_eq!(seen["headers"]["x-user-role"], "admin");
}

#[tokio::test]
async fn requests_without_a_token_pass_to_public_routes() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    for path in ["/api/v1/auth/register", "/api/v1/auth/login", "/graphql"] {
        let response = send(gateway.post(path).body("{}")).await;
        assert_eq!(response.status(), 200, "{path}");
    }
    // The users service answers 401 for `me` itself; the gateway does not pre-empt it.
    let response = send(gateway.get("/api/v1/users/me")).await;
    assert_eq!(json(response).await["service"], "users");
}

#[tokio::test]
async fn a_stale_token_does_not_block_the_auth_endpoints() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let response = send(
        gateway
            .post("/api/v1/auth/refresh")
            .bearer_auth(backends.keys.expired())
            .body("{}"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let headers = &json(response).await["headers"];
    assert!(headers.get("x-user-id").is_none());
}
