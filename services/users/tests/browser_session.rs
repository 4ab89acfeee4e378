//! The web shop's sessions: the refresh token only in an HttpOnly cookie, rotated like the JSON
//! API's, and refused to requests that are not the shop's own.

mod common;

use common::{Engine, GOOD_PASSWORD, TestApp, json, spawn_app};
use reqwest::StatusCode;
use serde_json::{Value, json};

const SESSION: &str = "/api/v1/auth/session";

/// A request as the shop sends it: the client header, same-origin, and an optional cookie.
async fn web(app: &TestApp, action: &str, body: Value, cookie: Option<&str>) -> reqwest::Response {
    let mut request = app
        .client
        .post(app.url(&format!("{SESSION}/{action}")))
        .header("x-boxoffice-client", "web")
        .header("sec-fetch-site", "same-origin")
        .json(&body);
    if let Some(token) = cookie {
        request = request.header("cookie", format!("theme=dark; bo_refresh={token}"));
    }
    request.send().await.expect("request")
}

/// The token and the attributes of the response's `bo_refresh` cookie.
fn cookie(response: &reqwest::Response) -> (String, String) {
    let header = response
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("bo_refresh="))
        .expect("a bo_refresh cookie")
        .to_owned();
    let (pair, attributes) = header.split_once(';').expect("attributes");
    (
        pair.trim_start_matches("bo_refresh=").to_owned(),
        attributes.trim().to_owned(),
    )
}

async fn signed_up(app: &TestApp) -> (Value, String) {
    let response = web(
        app,
        "register",
        json!({"email": "web@example.com", "password": GOOD_PASSWORD, "name": "Web Customer"}),
        None,
    )
    .await;
    assert_eq!(response.status(), StatusCode::CREATED);
    let (token, attributes) = cookie(&response);
    assert_eq!(
        attributes,
        "Path=/api/v1/auth/session; HttpOnly; SameSite=Strict; Max-Age=2592000"
    );
    let body = json(response).await;
    (body, token)
}

async fn browser_session_lifecycle(engine: Engine) {
    let app = spawn_app(engine).await;
    let (registered, first) = signed_up(&app).await;
    assert!(registered.get("refresh_token").is_none(), "{registered}");
    assert_eq!(registered["user"]["email"], "web@example.com");
    assert_eq!(registered["token_type"], "Bearer");
    let access = registered["access_token"].as_str().expect("access");
    assert_eq!(app.me(access).await.status(), StatusCode::OK);

    let login = web(
        &app,
        "login",
        json!({"email": "web@example.com", "password": GOOD_PASSWORD}),
        None,
    )
    .await;
    assert_eq!(login.status(), StatusCode::OK);
    let (second_family, _) = cookie(&login);
    assert!(json(login).await.get("refresh_token").is_none());

    // A reload: the cookie alone gives a new access token and a rotated cookie.
    let refreshed = web(&app, "refresh", json!({}), Some(&first)).await;
    assert_eq!(refreshed.status(), StatusCode::OK);
    let (rotated, _) = cookie(&refreshed);
    assert_ne!(rotated, first);
    let body = json(refreshed).await;
    assert!(body.get("refresh_token").is_none());
    let access = body["access_token"].as_str().expect("access");
    assert_eq!(app.me(access).await.status(), StatusCode::OK);

    // The old cookie is dead, and presenting it again ends its whole family.
    let reused = web(&app, "refresh", json!({}), Some(&first)).await;
    assert_eq!(reused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(cookie(&reused).1.split("; ").last(), Some("Max-Age=0"));
    let successor = web(&app, "refresh", json!({}), Some(&rotated)).await;
    assert_eq!(successor.status(), StatusCode::UNAUTHORIZED);

    // Logout revokes the cookie's family and clears it.
    let out = web(&app, "logout", json!({}), Some(&second_family)).await;
    assert_eq!(out.status(), StatusCode::NO_CONTENT);
    assert!(cookie(&out).1.contains("Max-Age=0"));
    let after = web(&app, "refresh", json!({}), Some(&second_family)).await;
    assert_eq!(after.status(), StatusCode::UNAUTHORIZED);

    // No cookie at all: 401, and logout still answers 204.
    let none = web(&app, "refresh", json!({}), None).await;
    assert_eq!(none.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(none.headers()["content-type"], "application/problem+json");
    assert_eq!(
        web(&app, "logout", json!({}), None).await.status(),
        StatusCode::NO_CONTENT
    );
}

#[tokio::test]
async fn a_browser_session_lives_in_a_rotating_http_only_cookie_on_sqlite() {
    browser_session_lifecycle(Engine::Sqlite).await;
}

#[tokio::test]
async fn a_browser_session_lives_in_a_rotating_http_only_cookie_on_postgres() {
    browser_session_lifecycle(Engine::Postgres).await;
}

#[tokio::test]
async fn requests_that_are_not_the_shops_own_are_refused_and_change_nothing() {
    let app = spawn_app(Engine::Sqlite).await;
    let (_, token) = signed_up(&app).await;
    let users = app.user_count().await;
    let body = json!({"email": "forged@example.com", "password": GOOD_PASSWORD, "name": "Forged"});
    let cases: [(&str, Option<&str>, Option<&str>); 4] = [
        ("register", None, Some("same-origin")),
        ("register", Some("web"), Some("cross-site")),
        ("refresh", Some("web"), Some("same-site")),
        ("logout", None, None),
    ];
    for (action, client, site) in cases {
        let mut request = app
            .client
            .post(app.url(&format!("{SESSION}/{action}")))
            .header("cookie", format!("bo_refresh={token}"))
            .json(&body);
        if let Some(client) = client {
            request = request.header("x-boxoffice-client", client);
        }
        if let Some(site) = site {
            request = request.header("sec-fetch-site", site);
        }
        let response = request.send().await.expect("request");
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{action}");
        assert!(response.headers().get("set-cookie").is_none(), "{action}");
        let problem = json(response).await;
        assert!(
            problem["detail"]
                .as_str()
                .is_some_and(|d| d.contains("boxoffice web page")),
            "{problem}"
        );
    }
    assert_eq!(app.user_count().await, users, "no account was created");
    // The cookie still works: neither the refused refresh nor the refused logout touched it.
    assert_eq!(
        web(&app, "refresh", json!({}), Some(&token)).await.status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn bad_sign_ins_answer_as_the_json_api_does_and_set_no_cookie() {
    let app = spawn_app(Engine::Sqlite).await;
    signed_up(&app).await;
    let wrong = json!({"email": "web@example.com", "password": "not the password"});
    let missing_name = json!({"email": "new@example.com", "password": GOOD_PASSWORD});
    for (action, body) in [("login", wrong), ("register", missing_name)] {
        let session = web(&app, action, body.clone(), None).await;
        assert!(session.headers().get("set-cookie").is_none(), "{action}");
        let json_api = app
            .client
            .post(app.url(&format!("/api/v1/auth/{action}")))
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(session.status(), json_api.status(), "{action}");
        assert_eq!(json(session).await["code"], json(json_api).await["code"]);
    }
    // The refresh 401 without a cookie is /refresh's own, word for word.
    let none = web(&app, "refresh", json!({}), None).await;
    let json_api = app
        .client
        .post(app.url("/api/v1/auth/refresh"))
        .json(&json!({"refresh_token": "nope"}))
        .send()
        .await
        .expect("request");
    assert_eq!(json(none).await, json(json_api).await);
}

#[tokio::test]
async fn the_cookie_is_secure_when_the_gateway_saw_tls() {
    let app = spawn_app(Engine::Sqlite).await;
    let response = app
        .client
        .post(app.url(&format!("{SESSION}/register")))
        .header("x-boxoffice-client", "web")
        .header("x-forwarded-proto", "https")
        .json(&json!({"email": "tls@example.com", "password": GOOD_PASSWORD, "name": "TLS"}))
        .send()
        .await
        .expect("request");
    assert_eq!(response.status(), StatusCode::CREATED);
    assert!(cookie(&response).1.ends_with("; Secure"));
}
