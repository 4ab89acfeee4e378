use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemDocument};
use serde::Deserialize;

use super::AppState;
use crate::AccountError;
use crate::accounts::Session;

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegisterRequest {
    pub(super) email: String,
    pub(super) password: String,
    pub(super) name: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub(super) email: String,
    pub(super) password: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    refresh_token: String,
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/register",
    tag = "auth",
    summary = "Create a customer account and sign in",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account and its first session", body = Session),
        (status = 409, description = "`email_taken`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`, with an `errors` list of `{field, message}`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/auth/login",
    tag = "auth",
    summary = "Sign in with email and password",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A new session", body = Session),
        (status = 401, description = "`invalid_credentials`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 429, description = "`rate_limited`: too many failures for this address; see `Retry-After`", body = ProblemDocument, content_type = PROBLEM_JSON,
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
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

#[utoipa::path(
    post,
    path = "/api/v1/auth/refresh",
    tag = "auth",
    summary = "Trade a refresh token for a new session",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new session; the old refresh token is spent", body = Session),
        (status = 401, description = "`invalid_token`: unknown, expired, revoked or already used", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
pub async fn refresh(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<impl IntoResponse, Problem> {
    let session = state.accounts.refresh(&body.refresh_token).await?;
    Ok(ApiJson(session))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/logout",
    tag = "auth",
    summary = "Revoke a refresh token",
    request_body = RefreshRequest,
    responses(
        (status = 204, description = "Revoked, with every token of its family (also when it was not valid)"),
    )
)]
pub async fn logout(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RefreshRequest>,
) -> Result<StatusCode, Problem> {
    state.accounts.logout(&body.refresh_token).await?;
    Ok(StatusCode::NO_CONTENT)
}
