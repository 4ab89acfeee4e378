//! Staff REST API under `/api/v1/admin`: every route needs an access token with role `admin`
//! (401 without a valid token, 403 for other roles), checked before the body is read.

mod cinemas;
mod movies;
mod showtimes;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use boxoffice_auth::{Caller, Verifier, VerifierState};
use boxoffice_http::Problem;
use uuid::Uuid;

use crate::store::SharedStore;

#[derive(Clone)]
pub struct AdminState {
    pub store: SharedStore,
    pub verifier: Arc<Verifier>,
}

impl FromRef<AdminState> for VerifierState {
    fn from_ref(state: &AdminState) -> Self {
        state.verifier.clone()
    }
}

pub fn router(state: AdminState) -> Router {
    Router::new()
        .merge(cinemas::router())
        .merge(movies::router())
        .merge(showtimes::router())
        .route_layer(middleware::from_fn_with_state(state.clone(), require_admin))
        .with_state(state)
}

async fn require_admin(
    State(_): State<AdminState>,
    caller: Caller,
    request: Request,
    next: Next,
) -> Result<Response, Problem> {
    caller.require_admin()?;
    Ok(next.run(request).await)
}

/// An id from the path; one that is not a UUID names nothing, hence 404.
fn path_id(what: &str, text: &str) -> Result<Uuid, Problem> {
    Uuid::parse_str(text).map_err(|_| Problem::not_found(what))
}
