use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use boxoffice_http::{ApiJson, Problem};
use serde::Deserialize;

use super::AppState;
use crate::AccountError;

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
) -> Result<impl IntoResponse, Response> {
    let session = state
        .accounts
        .login(&body.email, &body.password)
        .await
        .map_err(login_refused)?;
    Ok(ApiJson(session))
}

/// The answer to a failed sign-in; a throttled one says when to come back in `Retry-After`
/// (whole seconds, rounded up), never in the body, which is the same for every address.
pub(super) fn login_refused(error: AccountError) -> Response {
    let retry_after = match &error {
        AccountError::LoginThrottled { retry_after } => {
            Some(retry_after.as_secs() + u64::from(retry_after.subsec_nanos() > 0))
        }
        _ => None,
    };
    let mut response = Problem::from(error).into_response();
    if let Some(secs) = retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(secs.max(1)));
    }
    response
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
