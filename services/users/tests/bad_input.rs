mod common;

use common::{Engine, GOOD_PASSWORD, json, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

async fn problem(response: reqwest::Response, status: StatusCode) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    json(response).await
}

#[tokio::test]
async fn malformed_bodies_get_problems_and_change_nothing() {
    let app = spawn_app(Engine::Postgres).await;
    let url = app.url("/api/v1/auth/register");
    let send_raw = |body: &'static str| {
        app.client
            .post(&url)
            .header("content-type", "application/json")
            .body(body)
            .send()
    };

    let malformed = send_raw("{\"email\": ").await.expect("send");
    assert_eq!(
        problem(malformed, StatusCode::BAD_REQUEST).await["code"],
        "malformed_body"
    );

    let missing = send_raw("{\"email\": \"a@example.com\"}")
        .await
        .expect("send");
    assert_eq!(
        problem(missing, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "validation_failed"
    );

    let unknown = app
        .post(
            "/api/v1/auth/register",
            json!({"email": "a@example.com", "password": GOOD_PASSWORD, "name": "A", "role": "admin"}),
        )
        .await;
    assert_eq!(
        problem(unknown, StatusCode::UNPROCESSABLE_ENTITY).await["code"],
        "validation_failed"
    );

    let no_content_type = app.client.post(&url).body("{}").send().await.expect("send");
    problem(no_content_type, StatusCode::UNSUPPORTED_MEDIA_TYPE).await;

    let huge = format!(
        "{{\"email\": \"a@example.com\", \"password\": \"{}\", \"name\": \"A\"}}",
        "x".repeat(10 * 1024 * 1024)
    );
    let too_large = app
        .client
        .post(&url)
        .header("content-type", "application/json")
        .body(huge)
        .send()
        .await
        .expect("send");
    assert_eq!(
        problem(too_large, StatusCode::PAYLOAD_TOO_LARGE).await["code"],
        "body_too_large"
    );

    assert_eq!(app.user_count().await, 0);
    assert!(app.outbox_types().await.is_empty());
}

#[tokio::test]
async fn invalid_fields_are_all_reported_at_once() {
    let app = spawn_app(Engine::Sqlite).await;
    let response = app.register("not-an-email", "short", " ").await;
    let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field"))
        .collect();
    assert_eq!(fields, ["email", "name", "password"]);
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn weak_passwords_are_refused() {
    let app = spawn_app(Engine::Postgres).await;
    for weak in [
        "short",
        "password123",
        "1234567890",
        "qwertyuiop",
        &"x1".repeat(65),
    ] {
        let response = app.register("weak@example.com", weak, "Weak").await;
        let body = problem(response, StatusCode::UNPROCESSABLE_ENTITY).await;
        assert_eq!(body["errors"][0]["field"], "password", "{weak}");
    }
    assert_eq!(app.user_count().await, 0);
}

#[tokio::test]
async fn an_email_differing_only_in_case_is_taken() {
    for engine in [Engine::Postgres, Engine::Sqlite] {
        let app = spawn_app(engine).await;
        assert_eq!(
            app.register("dup@example.com", GOOD_PASSWORD, "First")
                .await
                .status(),
            StatusCode::CREATED
        );
        let second = app
            .register("  DUP@Example.COM", GOOD_PASSWORD, "Second")
            .await;
        assert_eq!(
            problem(second, StatusCode::CONFLICT).await["code"],
            "email_taken"
        );
        assert_eq!(app.user_count().await, 1);
        assert_eq!(app.outbox_types().await.len(), 1);
    }
}

#[tokio::test]
async fn me_without_a_token_is_401() {
    let app = spawn_app(Engine::Sqlite).await;
    let response = app
        .client
        .get(app.url("/api/v1/users/me"))
        .send()
        .await
        .expect("send");
    assert_eq!(
        problem(response, StatusCode::UNAUTHORIZED).await["code"],
        "unauthenticated"
    );
    let basic = app
        .client
        .get(app.url("/api/v1/users/me"))
        .header("authorization", "Basic dXNlcjpwYXNz")
        .send()
        .await
        .expect("send");
    problem(basic, StatusCode::UNAUTHORIZED).await;
}
