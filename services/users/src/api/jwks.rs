use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use boxoffice_http::ApiJson;

use super::AppState;

/// The public keys; cacheable for a few minutes (verifiers refetch on an unknown kid anyway).
pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [(header::CACHE_CONTROL, "public, max-age=300")],
        ApiJson(state.accounts.jwks(chrono::Utc::now())),
    )
}
