//! CORS for browser clients on other origins (the web UI in development, partner sites).

use std::time::Duration;

use axum::http::{HeaderName, HeaderValue, Method, header};
use tower_http::cors::{AllowOrigin, CorsLayer};

#[derive(Debug, thiserror::Error)]
#[error("CORS origin {0:?} is not a valid origin header value")]
pub struct CorsOriginError(String);

/// `None` when no origin is configured: browsers then only call the API from its own origin.
/// `*` allows any origin; since the API authenticates with bearer tokens, that exposes nothing a
/// script could not already get by calling the API itself. The web shop's session cookie stays
/// out of reach: credentials are never allowed, and `x-boxoffice-client`, which the session
/// endpoints require, is not an allowed header (ADR 0601).
pub fn layer(origins: &[String]) -> Result<Option<CorsLayer>, CorsOriginError> {
    if origins.is_empty() {
        return Ok(None);
    }
    let allow_origin = if origins.iter().any(|o| o == "*") {
        AllowOrigin::any()
    } else {
        let values = origins
            .iter()
            .map(|o| HeaderValue::from_str(o.trim()).map_err(|_| CorsOriginError(o.clone())))
            .collect::<Result<Vec<_>, _>>()?;
        AllowOrigin::list(values)
    };
    let name = HeaderName::from_static;
    Ok(Some(
        CorsLayer::new()
            .allow_origin(allow_origin)
            .allow_methods([
                Method::GET,
                Method::POST,
                Method::PUT,
                Method::PATCH,
                Method::DELETE,
                Method::OPTIONS,
            ])
            .allow_headers([
                header::AUTHORIZATION,
                header::CONTENT_TYPE,
                header::ACCEPT,
                name("x-request-id"),
                name("idempotency-key"),
                name("traceparent"),
            ])
            .expose_headers([
                name("x-request-id"),
                name("ratelimit-limit"),
                name("ratelimit-remaining"),
                name("ratelimit-reset"),
                header::RETRY_AFTER,
            ])
            .max_age(Duration::from_secs(600)),
    ))
}
