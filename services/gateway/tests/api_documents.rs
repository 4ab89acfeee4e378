//! The OpenAPI document: the committed copy is the one the code produces, it is OpenAPI 3.1
//! with the gateway's rules on every operation, and the gateway serves it with Swagger UI from
//! the binary under a CSP without `unsafe-*`. Regenerate the committed copy with
//! `BOXOFFICE_BLESS=1 cargo nextest run -p boxoffice-gateway -E 'test(committed_openapi)'`.

mod common;

use std::path::PathBuf;

use boxoffice_gateway::api_docs;
use common::{Backends, send};
use serde_json::Value;

fn committed_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/api/openapi.json")
}

fn rendered() -> String {
    let mut json = api_docs::openapi().to_pretty_json().expect("render");
    json.push('\n');
    json
}

fn document() -> Value {
    serde_json::from_str(&rendered()).expect("json")
}

const METHODS: [&str; 5] = ["get", "put", "post", "delete", "patch"];

/// Every operation with its path.
fn operations(doc: &Value) -> Vec<(String, String, Value)> {
    let paths = doc["paths"].as_object().expect("paths");
    paths
        .iter()
        .flat_map(|(path, item)| {
            METHODS.iter().filter_map(move |m| {
                item.get(*m)
                    .map(|op| ((*m).to_owned(), path.clone(), op.clone()))
            })
        })
        .collect()
}

#[test]
fn the_committed_openapi_document_matches_the_code() {
    let rendered = rendered();
    let path = committed_path();
    if std::env::var_os("BOXOFFICE_BLESS").is_some() {
        std::fs::write(&path, &rendered).expect("write docs/api/openapi.json");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == rendered,
        "docs/api/openapi.json differs from the document the code produces; regenerate it with \
         BOXOFFICE_BLESS=1 cargo nextest run -p boxoffice-gateway -E 'test(committed_openapi)' \
         and review the diff"
    );
}

#[test]
fn the_document_is_openapi_3_1_and_covers_the_public_rest_routes() {
    let doc = document();
    assert_eq!(doc["openapi"], "3.1.0");
    let ops = operations(&doc);
    let has = |method: &str, path: &str| ops.iter().any(|(m, p, _)| m == method && p == path);
    // One route of each family in the gateway's route table (routes.rs), and every method of
    // the families whose handlers are few.
    for (method, path) in [
        ("post", "/api/v1/auth/register"),
        ("post", "/api/v1/auth/login"),
        ("post", "/api/v1/auth/refresh"),
        ("post", "/api/v1/auth/logout"),
        ("post", "/api/v1/auth/session/register"),
        ("post", "/api/v1/auth/session/login"),
        ("post", "/api/v1/auth/session/refresh"),
        ("post", "/api/v1/auth/session/logout"),
        ("get", "/.well-known/jwks.json"),
        ("get", "/api/v1/users/me"),
        ("get", "/api/v1/admin/cinemas"),
        (
            "delete",
            "/api/v1/admin/cinemas/{id}/auditoriums/{auditorium_id}",
        ),
        ("put", "/api/v1/admin/movies/{id}/poster"),
        ("post", "/api/v1/admin/showtimes/series"),
        ("get", "/api/v1/admin/sales"),
        ("get", "/api/v1/admin/notifications"),
        ("get", "/api/v1/posters/{movie_id}"),
    ] {
        assert!(has(method, path), "{method} {path} is not documented");
    }
    let mut ids: Vec<&str> = ops
        .iter()
        .map(|(_, _, op)| op["operationId"].as_str().expect("operationId"))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), ops.len(), "operation ids are unique");
    assert_eq!(
        ops.len(),
        37,
        "operations: {:?}",
        ops.iter()
            .map(|(m, p, _)| format!("{m} {p}"))
            .collect::<Vec<_>>()
    );
}

#[test]
fn every_operation_documents_the_gateway_answers_and_the_back_office_needs_a_token() {
    let doc = document();
    for (method, path, op) in operations(&doc) {
        let responses = op["responses"].as_object().expect("responses");
        for status in ["429", "503", "504"] {
            assert!(
                responses.contains_key(status),
                "{method} {path}: no {status}"
            );
        }
        for (status, response) in responses {
            if status.starts_with('4') || status.starts_with('5') {
                assert_eq!(
                    response["content"]["application/problem+json"]["schema"]["$ref"],
                    "#/components/schemas/Problem",
                    "{method} {path} {status} is not a problem"
                );
            }
        }
        if path.starts_with("/api/v1/admin") || path == "/api/v1/users/me" {
            assert_eq!(
                op["security"][0]["bearer"],
                Value::Array(vec![]),
                "{method} {path}"
            );
            assert!(responses.contains_key("401"), "{method} {path}: no 401");
        }
        if path.starts_with("/api/v1/admin") {
            assert!(responses.contains_key("403"), "{method} {path}: no 403");
        }
    }
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["session_cookie"]["in"], "cookie");
    assert_eq!(schemes["session_cookie"]["name"], "bo_refresh");
}

/// The `src`/`href` values of `attribute` in an HTML page.
fn references<'a>(html: &'a str, attribute: &str) -> Vec<&'a str> {
    let needle = format!("{attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

#[tokio::test]
async fn api_docs_serves_swagger_ui_and_its_assets_from_the_binary_under_a_strict_csp() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;

    let page = send(gateway.get("/api/docs/")).await;
    assert_eq!(page.status(), 200);
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_owned();
    assert_eq!(csp, api_docs::VIEWER_CSP);
    assert!(!csp.contains("unsafe"), "{csp}");
    assert!(csp.contains("script-src 'self'"), "{csp}");
    let html = page.text().await.expect("html");
    assert!(html.contains("swagger-ui"), "{html}");
    // Every script is a file: nothing inline that the CSP would block.
    assert_eq!(
        html.matches("<script").count(),
        html.matches("<script src=").count(),
        "{html}"
    );

    let mut assets: Vec<&str> = references(&html, "src");
    assets.extend(
        references(&html, "href")
            .into_iter()
            .filter(|h| h.ends_with(".css")),
    );
    assert!(
        assets.iter().any(|a| a.ends_with("swagger-initializer.js")),
        "{assets:?}"
    );
    assert!(assets.len() >= 4, "{assets:?}");
    for asset in assets {
        assert!(!asset.contains("//"), "{asset} is not served from here");
        let response =
            send(gateway.get(&format!("/api/docs/{}", asset.trim_start_matches("./")))).await;
        assert_eq!(response.status(), 200, "{asset}");
        assert!(
            response.headers().contains_key("content-security-policy"),
            "{asset}"
        );
        let body = response.text().await.expect("asset");
        assert!(!body.is_empty(), "{asset}");
        if asset.ends_with("swagger-initializer.js") {
            assert!(body.contains(api_docs::DOCUMENT_PATH), "{body}");
        }
    }

    let document = send(gateway.get(api_docs::DOCUMENT_PATH)).await;
    assert_eq!(document.status(), 200);
    let served: Value = document.json().await.expect("json");
    assert_eq!(served, document_value());
    assert_eq!(
        backends.users.hits() + backends.booking.hits(),
        0,
        "the documents are the gateway's own"
    );
}

fn document_value() -> Value {
    document()
}
