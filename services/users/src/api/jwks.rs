use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use boxoffice_http::ApiJson;

use super::AppState;

/// The public keys; cacheable for a few minutes (verifiers refetch on an unknown kid anyway).
#[utoipa::path(
    get,
    path = "/.well-known/jwks.json",
    tag = "auth",
    summary = "The public keys that verify access tokens (RFC 7517)",
    responses(
        (status = 200, description = "Ed25519 keys (`OKP`, `EdDSA`), current and recently retired", body = boxoffice_auth::JwkSet,
            headers(("Cache-Control" = String, description = "public, max-age=300"))),
    )
)]
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        ApiJson(state.accounts.jwks(chrono::Utc::now())),
    )
}
