//! `GET /api/v1/posters/{movie_id}`: uploaded posters, public (no token), for the shop.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use boxoffice_http::{PROBLEM_JSON, Problem, ProblemDocument};

use crate::store::SharedStore;

/// The public poster route's part of the API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(show))]
pub struct ApiDoc;

pub fn router(store: SharedStore) -> Router {
    Router::new()
        .route("/api/v1/posters/{movie_id}", get(show))
        .with_state(store)
}

/// The bytes never change under one URL (a new upload gets a new `?v=`), so caches may keep
/// them for a year without asking again.
const CACHE_CONTROL: &str = "public, max-age=31536000, immutable";

#[utoipa::path(
    get,
    path = "/api/v1/posters/{movie_id}",
    tag = "posters",
    summary = "A movie's poster image (public, immutable under its URL)",
    params(
        ("movie_id" = uuid::Uuid, Path, description = "The movie's id"),
        ("If-None-Match" = Option<String>, Header, description = "An ETag from an earlier answer"),
    ),
    responses(
        (status = 200, description = "The image", content(
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/webp"),
        ), headers(
            ("ETag" = String, description = "A strong validator of the bytes"),
            ("Cache-Control" = String, description = "public, max-age=31536000, immutable"),
        )),
        (status = 304, description = "Not modified (the ETag matched)"),
        (status = 404, description = "`not_found`: no such movie, or it has no poster", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn show(
    State(store): State<SharedStore>,
    Path(movie_id): Path<String>,
    request_headers: HeaderMap,
) -> Result<Response, Problem> {
    let movie_id = uuid::Uuid::parse_str(&movie_id).map_err(|_| Problem::not_found("Poster"))?;
    let poster = store
        .get_poster(movie_id)
        .await?
        .ok_or_else(|| Problem::not_found("Poster"))?;
    let etag = format!("\"{}\"", poster.etag);
    let mut headers = HeaderMap::new();
    let mut set = |name, value: &str| {
        if let Ok(value) = HeaderValue::from_str(value) {
            headers.insert(name, value);
        }
    };
    set(header::ETAG, &etag);
    set(header::CACHE_CONTROL, CACHE_CONTROL);
    set(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    // Opened on its own, the image may run nothing and load nothing.
    set(header::CONTENT_SECURITY_POLICY, "default-src 'none'");
    if matches_etag(&request_headers, &etag) {
        return Ok((StatusCode::NOT_MODIFIED, headers).into_response());
    }
    set(header::CONTENT_TYPE, &poster.content_type);
    Ok((StatusCode::OK, headers, poster.bytes).into_response())
}

/// `If-None-Match` per RFC 9110: `*`, or a list of tags compared weakly (a `W/` prefix is
/// ignored).
fn matches_etag(headers: &HeaderMap, etag: &str) -> bool {
    headers
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/") == etag)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(header::IF_NONE_MATCH, HeaderValue::from_str(value).unwrap());
        headers
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        assert!(matches_etag(&with("\"abc\""), "\"abc\""));
        assert!(matches_etag(&with("\"x\", W/\"abc\""), "\"abc\""));
        assert!(matches_etag(&with("*"), "\"abc\""));
        assert!(!matches_etag(&with("\"abd\""), "\"abc\""));
        assert!(!matches_etag(&HeaderMap::new(), "\"abc\""));
    }
}
