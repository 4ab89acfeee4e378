use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use boxoffice_http::{ApiJson, Problem};
use serde::Deserialize;

use super::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub(super) email: String,
    pub(super) password: String,
    pub(super) name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub(super) email: String,
    pub(super) password: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

pub async fn register(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<impl IntoResponse, Problem> {
    let session = state
        .accounts
        .register(&body.email, &body.password, &body.name)
        .await?;
    Ok((StatusCode::CREATED, ApiJson(session)))
}

pub async fn login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<impl IntoResponse, Problem> {
    let session = state.accounts.login(&body.email, &body.password).await?;
    Ok(ApiJson(session))
}

pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<impl IntoResponse, Problem> {
    let session = state.accounts.refresh(&body.refresh_token).await?;
    Ok(ApiJson(session))
}

pub async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode, Problem> {
    state.accounts.logout(&body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
