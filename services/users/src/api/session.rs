//! The web shop's session endpoints: the JSON API's answers without the refresh token, which
//! travels in an HttpOnly cookie instead (ADR 0601). The CSRF check ([`FromWebPage`]) runs
//! before the body or the database is touched; bodies are read as the JSON API reads them.

use axum::body::Bytes;
use axum::extract::{FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemCode, ProblemDocument};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{LoginRequest, RegisterRequest};
use crate::accounts::{AccountError, Session, User};
use crate::session_cookie::{self, CsrfRefusal};

/// A session as the browser sees it: everything but the refresh token.
#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct BrowserSession {
    user: User,
    access_token: String,
    #[schema(value_type = String, example = "Bearer")]
    token_type: &'static str,
    /// Seconds until the access token expires.
    expires_in: u64,
}

/// The refresh and logout bodies are empty (or `{}`): the token is the cookie.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Empty {}

fn refused(refusal: CsrfRefusal) -> Problem {
    Problem::new(ProblemCode::Forbidden, "Forbidden").with_detail(format!(
        "{refusal}: this endpoint only answers the boxoffice web page"
    ))
}

/// Proof that the request passed the CSRF checks. An extractor from the headers alone, listed
/// first in every handler, so a refused request is answered before its body or the database is
/// touched.
pub struct FromWebPage;

impl<S: Send + Sync> FromRequestParts<S> for FromWebPage {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        session_cookie::check_same_origin(&parts.headers)
            .map(|()| Self)
            .map_err(refused)
    }
}

fn empty_body(body: &Bytes) -> Result<(), Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    serde_json::from_slice::<Empty>(body)
        .map(|_| ())
        .map_err(|e| {
            Problem::new(ProblemCode::MalformedBody, "Expected no body or {}")
                .with_detail(e.to_string())
        })
}

fn answer(state: &AppState, headers: &HeaderMap, status: StatusCode, session: Session) -> Response {
    let mut response = (
        status,
        ApiJson(BrowserSession {
            user: session.user,
            access_token: session.access_token,
            token_type: session.token_type,
            expires_in: session.expires_in,
        }),
    )
        .into_response();
    session_cookie::set(
        response.headers_mut(),
        &session.refresh_token,
        state.accounts.refresh_ttl(),
        session_cookie::over_tls(headers),
    );
    response
}

/// /refresh's 401, which also ends the browser's cookie: it can never work again.
fn ended(headers: &HeaderMap) -> Response {
    let mut response = Problem::from(AccountError::InvalidRefreshToken).into_response();
    session_cookie::clear(response.headers_mut(), session_cookie::over_tls(headers));
    response
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/session/register",
    tag = "session",
    summary = "Create a customer account and sign the browser in",
    params(
        ("X-Boxoffice-Client" = String, Header, description = "Must be `web`: proof that the shop's own page sent the request (CSRF)", example = "web"),
    ),
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account; the refresh token is set as a cookie", body = BrowserSession, headers(("Set-Cookie" = String, description = "`bo_refresh`: the refresh token, HttpOnly, SameSite=Strict, path /api/v1/auth/session"))),
        (status = 409, description = "`email_taken`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 403, description = "`forbidden`: not sent by the web page (header missing, or a cross-site request)", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
pub async fn register(
    _: FromWebPage,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<RegisterRequest>,
) -> Result<Response, Problem> {
    let session = state
        .accounts
        .register(&body.email, &body.password, &body.name)
        .await?;
    Ok(answer(&state, &headers, StatusCode::CREATED, session))
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/session/login",
    tag = "session",
    summary = "Sign the browser in",
    params(
        ("X-Boxoffice-Client" = String, Header, description = "Must be `web`: proof that the shop's own page sent the request (CSRF)", example = "web"),
    ),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "A session; the refresh token is set as a cookie", body = BrowserSession, headers(("Set-Cookie" = String, description = "`bo_refresh`: the refresh token, HttpOnly, SameSite=Strict, path /api/v1/auth/session"))),
        (status = 401, description = "`invalid_credentials`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 429, description = "`rate_limited`: too many failures for this address", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 403, description = "`forbidden`: not sent by the web page (header missing, or a cross-site request)", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
pub async fn login(
    _: FromWebPage,
    State(state): State<AppState>,
    headers: HeaderMap,
    ApiJson(body): ApiJson<LoginRequest>,
) -> Result<Response, Problem> {
    match state.accounts.login(&body.email, &body.password).await {
        Ok(session) => Ok(answer(&state, &headers, StatusCode::OK, session)),
        Err(error) => Ok(super::auth::login_refused(error)),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/session/refresh",
    tag = "session",
    summary = "Renew the browser session from its cookie",
    params(
        ("X-Boxoffice-Client" = String, Header, description = "Must be `web`: proof that the shop's own page sent the request (CSRF)", example = "web"),
    ),
    request_body(content = Option<Object>, description = "Empty, or `{}`", content_type = "application/json"),
    responses(
        (status = 200, description = "A new access token; the cookie is rotated", body = BrowserSession, headers(("Set-Cookie" = String, description = "`bo_refresh`: the refresh token, HttpOnly, SameSite=Strict, path /api/v1/auth/session"))),
        (status = 400, description = "`malformed_body`: a body other than `{}`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 401, description = "`invalid_token`: no cookie or a spent one; the cookie is cleared", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 403, description = "`forbidden`: not sent by the web page (header missing, or a cross-site request)", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
pub async fn refresh(
    _: FromWebPage,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    empty_body(&body)?;
    let Some(token) = session_cookie::read(&headers) else {
        return Ok(ended(&headers));
    };
    match state.accounts.refresh(&token).await {
        Ok(session) => Ok(answer(&state, &headers, StatusCode::OK, session)),
        Err(AccountError::InvalidRefreshToken) => Ok(ended(&headers)),
        // A failure on our side (the database) keeps the cookie for the next attempt: clearing
        // it would sign every browser out during an outage.
        Err(error) => Err(error.into()),
    }
}

#[utoipa::path(
    post,
    path = "/api/v1/auth/session/logout",
    tag = "session",
    summary = "Sign the browser out",
    params(
        ("X-Boxoffice-Client" = String, Header, description = "Must be `web`: proof that the shop's own page sent the request (CSRF)", example = "web"),
    ),
    request_body(content = Option<Object>, description = "Empty, or `{}`", content_type = "application/json"),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 400, description = "`malformed_body`: a body other than `{}`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 403, description = "`forbidden`: not sent by the web page (header missing, or a cross-site request)", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
pub async fn logout(
    _: FromWebPage,
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Response, Problem> {
    empty_body(&body)?;
    if let Some(token) = session_cookie::read(&headers) {
        // On a failure the cookie is kept, so the browser can retry and the token is revoked
        // rather than merely forgotten.
        state.accounts.logout(&token).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    session_cookie::clear(response.headers_mut(), session_cookie::over_tls(&headers));
    Ok(response)
}
