//! The REST API of the users service: thin handlers over `Accounts`.

use std::sync::Arc;

use axum::Router;
use axum::extract::FromRef;
use axum::routing::{get, post};
use boxoffice_auth::VerifierState;

use crate::accounts::Accounts;

mod auth;
mod jwks;
mod me;
mod session;

#[derive(Clone)]
pub struct AppState {
    pub accounts: Arc<Accounts>,
    pub verifier: VerifierState,
}

impl FromRef<AppState> for VerifierState {
    fn from_ref(state: &AppState) -> Self {
        state.verifier.clone()
    }
}

/// The users service's part of the public API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    auth::register,
    auth::login,
    auth::refresh,
    auth::logout,
    session::register,
    session::login,
    session::refresh,
    session::logout,
    me::me,
    jwks::jwks,
))]
pub struct ApiDoc;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/api/v1/auth/register", post(auth::register))
        .route("/api/v1/auth/login", post(auth::login))
        .route("/api/v1/auth/refresh", post(auth::refresh))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/session/register", post(session::register))
        .route("/api/v1/auth/session/login", post(session::login))
        .route("/api/v1/auth/session/refresh", post(session::refresh))
        .route("/api/v1/auth/session/logout", post(session::logout))
        .route("/api/v1/users/me", get(me::me))
        .route("/.well-known/jwks.json", get(jwks::jwks))
        .with_state(state)
}
