//! The web shop's files: served from the binary, locked down, revalidated cheaply.

mod common;

use common::{Backends, send};

#[tokio::test]
async fn the_shop_page_is_served_with_a_strict_content_security_policy() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let response = send(gateway.get("/")).await;
    assert_eq!(response.status(), 200);
    let headers = response.headers().clone();
    let csp = headers["content-security-policy"].to_str().expect("csp");
    for directive in [
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
    ] {
        assert!(csp.contains(directive), "{directive} in {csp}");
    }
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(headers["referrer-policy"], "same-origin");
    assert!(
        headers["content-type"]
            .to_str()
            .expect("type")
            .starts_with("text/html")
    );
    let html = response.text().await.expect("body");
    assert!(html.contains(r#"<script type="module" src="/assets/js/main.js"></script>"#));
    assert!(!html.contains("<script>"), "no inline script");
    assert_eq!(backends.users.hits() + backends.booking.hits(), 0);
}

#[tokio::test]
async fn assets_have_their_types_and_an_unchanged_one_costs_a_304() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let response = send(gateway.get("/assets/js/main.js")).await;
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/javascript; charset=utf-8"
    );
    assert_eq!(response.headers()["cache-control"], "no-cache");
    let etag = response.headers()["etag"].clone();
    assert!(response.headers().contains_key("content-security-policy"));

    let again = send(
        gateway
            .get("/assets/js/main.js")
            .header("if-none-match", etag),
    )
    .await;
    assert_eq!(again.status(), 304);
    assert!(again.bytes().await.expect("body").is_empty());

    let css = send(gateway.get("/assets/app.css")).await;
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
}

#[tokio::test]
async fn an_unknown_asset_or_a_path_outside_the_shop_is_not_found() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    for path in [
        "/assets/js/nope.js",
        "/assets/../Cargo.toml",
        "/assets/%2e%2e/src/web.rs",
        "/index.html",
    ] {
        let response = send(gateway.get(path)).await;
        assert_eq!(response.status(), 404, "{path}");
    }
}

#[tokio::test]
async fn the_demo_shows_test_cards_and_a_real_shop_does_not() {
    let backends = Backends::spawn().await;
    let plain = backends.gateway().await;
    let html = send(plain.get("/")).await.text().await.expect("body");
    assert!(html.contains(r#"data-test-cards="false""#));
    let demo = backends
        .gateway_with(|s| s.web.show_test_cards = true)
        .await;
    let html = send(demo.get("/")).await.text().await.expect("body");
    assert!(html.contains(r#"data-test-cards="true""#));
}

#[tokio::test]
async fn the_back_office_page_is_locked_down_like_the_shop_and_only_it_may_use_the_camera() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let admin = send(gateway.get("/admin")).await;
    assert_eq!(admin.status(), 200);
    let headers = admin.headers().clone();
    let csp = headers["content-security-policy"].to_str().expect("csp");
    assert!(csp.contains("default-src 'none'") && csp.contains("script-src 'self'"));
    assert!(!csp.contains("unsafe"), "{csp}");
    assert_eq!(headers["x-frame-options"], "DENY");
    let permissions = headers["permissions-policy"].to_str().expect("policy");
    assert!(permissions.contains("camera=(self)"), "{permissions}");
    assert!(permissions.contains("microphone=()"), "{permissions}");
    let html = admin.text().await.expect("body");
    assert!(html.contains(r#"<script type="module" src="/assets/js/admin/main.js"></script>"#));
    assert!(!html.contains("<script>"), "no inline script");

    let shop = send(gateway.get("/")).await;
    assert!(
        shop.headers()["permissions-policy"]
            .to_str()
            .expect("policy")
            .contains("camera=()")
    );
    let page = send(gateway.get("/assets/js/admin/pages/door.js")).await;
    assert_eq!(page.status(), 200);
    // Serving the page asks no service anything: the API behind it authorizes each call.
    assert_eq!(backends.users.hits() + backends.booking.hits(), 0);
}
