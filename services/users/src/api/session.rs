//! The web shop's session endpoints: the JSON API's answers without the refresh token, which
//! travels in an HttpOnly cookie instead (ADR 0601). The CSRF check runs before the body or the
//! database is touched.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use boxoffice_http::{ApiJson, Problem, ProblemCode};
use serde::{Deserialize, Serialize};

use super::AppState;
use super::auth::{LoginRequest, RegisterRequest};
use crate::accounts::{Session, User};
use crate::session_cookie::{self, CsrfRefusal};

/// A session as the browser sees it: everything but the refresh token.
#[derive(Serialize)]
struct BrowserSession {
    user: User,
    access_token: String,
    token_type: &'static str,
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

fn guard(headers: &HeaderMap) -> Result<(), Problem> {
    session_cookie::check_same_origin(headers).map_err(refused)
}

fn parse<T: for<'de> Deserialize<'de>>(body: &Bytes) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| {
        Problem::new(ProblemCode::MalformedBody, "Malformed body").with_detail(e.to_string())
    })
}

fn empty_body(body: &Bytes) -> Result<(), Problem> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(());
    }
    parse::<Empty>(body).map(|_| ())
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

/// An error that also ends the browser's cookie: it cannot be used again anyway.
fn ending(headers: &HeaderMap, problem: Problem) -> Response {
    let mut response = problem.into_response();
    session_cookie::clear(response.headers_mut(), session_cookie::over_tls(headers));
    response
}

pub async fn register(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let outcome = async {
        guard(&headers)?;
        let body: RegisterRequest = parse(&body)?;
        Ok::<_, Problem>(
            state
                .accounts
                .register(&body.email, &body.password, &body.name)
                .await?,
        )
    };
    match outcome.await {
        Ok(session) => answer(&state, &headers, StatusCode::CREATED, session),
        Err(problem) => problem.into_response(),
    }
}

pub async fn login(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    let outcome = async {
        guard(&headers)?;
        let body: LoginRequest = parse(&body)?;
        Ok::<_, Problem>(state.accounts.login(&body.email, &body.password).await?)
    };
    match outcome.await {
        Ok(session) => answer(&state, &headers, StatusCode::OK, session),
        Err(problem) => problem.into_response(),
    }
}

pub async fn refresh(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(problem) = guard(&headers).and_then(|()| empty_body(&body)) {
        return problem.into_response();
    }
    let Some(token) = session_cookie::read(&headers) else {
        return ending(
            &headers,
            Problem::new(ProblemCode::InvalidToken, "The refresh token is not valid")
                .with_detail("no session cookie: sign in"),
        );
    };
    match state.accounts.refresh(&token).await {
        Ok(session) => answer(&state, &headers, StatusCode::OK, session),
        Err(error) => ending(&headers, error.into()),
    }
}

pub async fn logout(State(state): State<AppState>, headers: HeaderMap, body: Bytes) -> Response {
    if let Err(problem) = guard(&headers).and_then(|()| empty_body(&body)) {
        return problem.into_response();
    }
    if let Some(token) = session_cookie::read(&headers)
        && let Err(error) = state.accounts.logout(&token).await
    {
        return Problem::from(error).into_response();
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    session_cookie::clear(response.headers_mut(), session_cookie::over_tls(&headers));
    response
}
