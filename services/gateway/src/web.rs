//! The web shop and the back office: static files compiled into the binary and served at `/`,
//! `/admin` and `/assets/…` under a strict Content-Security-Policy (ADR 0601). The pages talk
//! only to the public API, which authorizes every call; the back office page itself is no secret.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, ETAG, IF_NONE_MATCH, REFERRER_POLICY,
    X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use boxoffice_http::Problem;
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// No inline script or style, no `eval`, nothing from another origin; `connect-src 'self'`
/// covers the same-origin WebSocket of the live seat map; QR codes and posters are `data:` images.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     manifest-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WebSettings {
    /// Shows the simulated processor's test card numbers at the checkout (`boxoffice all --demo`).
    pub show_test_cards: bool,
}

/// One file of the shop.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static [u8],
}

macro_rules! asset {
    ($name:literal, $type:expr) => {
        Asset {
            name: $name,
            content_type: $type,
            body: include_bytes!(concat!("../web/", $name)),
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file under `web/` except the two pages; a test checks that none is left out.
const ASSETS: &[Asset] = &[
    asset!("admin.css", "text/css; charset=utf-8"),
    asset!("app.css", "text/css; charset=utf-8"),
    asset!("favicon.svg", "image/svg+xml"),
    asset!("js/admin/layout.js", JS),
    asset!("js/admin/main.js", JS),
    asset!("js/admin/rest.js", JS),
    asset!("js/admin/zone.js", JS),
    asset!("js/admin/pages/booking.js", JS),
    asset!("js/admin/pages/bookings.js", JS),
    asset!("js/admin/pages/cinemas.js", JS),
    asset!("js/admin/pages/designer.js", JS),
    asset!("js/admin/pages/door.js", JS),
    asset!("js/admin/pages/home.js", JS),
    asset!("js/admin/pages/movie.js", JS),
    asset!("js/admin/pages/movies.js", JS),
    asset!("js/admin/pages/sales.js", JS),
    asset!("js/admin/pages/schedule.js", JS),
    asset!("js/admin/pages/showtime-sales.js", JS),
    asset!("js/admin/pages/signin.js", JS),
    asset!("js/api.js", JS),
    asset!("js/auth.js", JS),
    asset!("js/card.js", JS),
    asset!("js/dom.js", JS),
    asset!("js/errors.js", JS),
    asset!("js/format.js", JS),
    asset!("js/live.js", JS),
    asset!("js/main.js", JS),
    asset!("js/poster.js", JS),
    asset!("js/seatmap.js", JS),
    asset!("js/pages/account.js", JS),
    asset!("js/pages/booking.js", JS),
    asset!("js/pages/bookings.js", JS),
    asset!("js/pages/home.js", JS),
    asset!("js/pages/movie.js", JS),
    asset!("js/pages/showtime.js", JS),
];

const INDEX_HTML: &str = include_str!("../web/index.html");
const ADMIN_HTML: &[u8] = include_bytes!("../web/admin.html");

/// What a page may ask the browser for: nothing in the shop; the camera in the back office,
/// whose door page scans QR codes.
const SHOP_PERMISSIONS: &str = "camera=(), microphone=(), geolocation=(), payment=()";
const ADMIN_PERMISSIONS: &str = "camera=(self), microphone=(), geolocation=(), payment=()";

/// The shop's files, with validators computed once at start.
pub struct Web {
    index: Vec<u8>,
    index_etag: String,
    admin_etag: String,
    assets: Vec<(&'static Asset, String)>,
}

impl Web {
    pub fn new(settings: &WebSettings) -> Self {
        let flag = if settings.show_test_cards {
            "true"
        } else {
            "false"
        };
        let index = INDEX_HTML
            .replace(
                "data-test-cards=\"false\"",
                &format!("data-test-cards=\"{flag}\""),
            )
            .into_bytes();
        Self {
            index_etag: etag(&index),
            index,
            admin_etag: etag(ADMIN_HTML),
            assets: ASSETS.iter().map(|a| (a, etag(a.body))).collect(),
        }
    }

    pub fn names() -> impl Iterator<Item = &'static str> {
        ASSETS.iter().map(|a| a.name)
    }
}

const INDEX_PATH: &str = "/";
const ADMIN_PATH: &str = "/admin";
const ASSETS_PATH: &str = "/assets/{*name}";

/// The web pages' paths (axum patterns), for [`crate::routes::public_paths`].
pub const PATHS: [&str; 3] = [INDEX_PATH, ADMIN_PATH, ASSETS_PATH];

pub fn router<S: Clone + Send + Sync + 'static>(web: Arc<Web>) -> Router<S> {
    Router::new()
        .route(INDEX_PATH, get(index))
        .route(ADMIN_PATH, get(admin))
        .route(ASSETS_PATH, get(asset))
        .with_state(web)
}

async fn index(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    file(
        &headers,
        "text/html; charset=utf-8",
        &web.index,
        &web.index_etag,
    )
}

async fn admin(State(web): State<Arc<Web>>, headers: HeaderMap) -> Response {
    let mut response = file(
        &headers,
        "text/html; charset=utf-8",
        ADMIN_HTML,
        &web.admin_etag,
    );
    response.headers_mut().insert(
        "permissions-policy",
        HeaderValue::from_static(ADMIN_PERMISSIONS),
    );
    response
}

async fn asset(
    State(web): State<Arc<Web>>,
    Path(name): Path<String>,
    headers: HeaderMap,
) -> Response {
    match web.assets.iter().find(|(a, _)| a.name == name) {
        Some((a, tag)) => file(&headers, a.content_type, a.body, tag),
        None => Problem::not_found("Asset").into_response(),
    }
}

/// Files are revalidated on every load (`no-cache` with an ETag): a new binary's shop is
/// seen at once, and an unchanged file costs a 304 without a body.
fn file(request: &HeaderMap, content_type: &'static str, body: &[u8], tag: &str) -> Response {
    let fresh = request
        .get(IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag));
    let mut response = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(CONTENT_TYPE, content_type)], body.to_vec()).into_response()
    };
    let headers = response.headers_mut();
    if let Ok(value) = HeaderValue::from_str(tag) {
        headers.insert(ETAG, value);
    }
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    security_headers(headers);
    response
}

/// The headers that lock a page down, on every file of the shop.
pub fn security_headers(headers: &mut HeaderMap) {
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    headers.insert(
        "permissions-policy",
        HeaderValue::from_static(SHOP_PERMISSIONS),
    );
    headers.insert(
        "cross-origin-opener-policy",
        HeaderValue::from_static("same-origin"),
    );
}

/// A strong validator from the content: FNV-1a, enough to tell two versions of a file apart.
fn etag(body: &[u8]) -> String {
    let hash = body.iter().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    });
    format!("\"{hash:016x}\"")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_file_of_the_shop_is_served() {
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("web");
        let mut on_disk = Vec::new();
        collect(&dir, &dir, &mut on_disk);
        on_disk.retain(|n| n != "index.html" && n != "admin.html");
        on_disk.sort();
        let mut served: Vec<String> = Web::names().map(String::from).collect();
        served.sort();
        assert_eq!(on_disk, served);
    }

    fn collect(root: &std::path::Path, dir: &std::path::Path, out: &mut Vec<String>) {
        for entry in std::fs::read_dir(dir).expect("web dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                collect(root, &path, out);
            } else {
                let rel = path.strip_prefix(root).expect("under root");
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }

    #[test]
    fn the_demo_flag_reaches_the_page() {
        let demo = Web::new(&WebSettings {
            show_test_cards: true,
        });
        let html = String::from_utf8(demo.index).expect("utf8");
        assert!(html.contains("data-test-cards=\"true\""));
        let plain = Web::new(&WebSettings::default());
        assert!(
            String::from_utf8(plain.index)
                .expect("utf8")
                .contains("data-test-cards=\"false\"")
        );
    }

    #[test]
    fn etags_differ_when_content_does() {
        assert_ne!(etag(b"a"), etag(b"b"));
        assert_eq!(etag(b"a"), etag(b"a"));
    }
}
