//! Staff REST API under `/api/v1/admin`: every route needs an access token with role `admin`
//! (401 without a valid token, 403 for other roles), checked before the body is read.

mod cinemas;
mod movies;
mod posters;
mod sales;
mod showtimes;

use std::sync::Arc;

use axum::Router;
use axum::extract::{FromRef, Request, State};
use axum::middleware::{self, Next};
use axum::response::Response;
use boxoffice_auth::{Caller, Verifier, VerifierState};
use boxoffice_http::Problem;
use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::domain::{local_day, parse_time_zone};
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

/// The staff API's part of the public API document; the gateway adds the token rule.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    cinemas::list,
    cinemas::create,
    cinemas::show,
    cinemas::update,
    cinemas::remove,
    cinemas::list_auditoriums,
    cinemas::create_auditorium,
    cinemas::show_auditorium,
    cinemas::update_auditorium,
    cinemas::remove_auditorium,
    movies::list,
    movies::create,
    movies::show,
    movies::update,
    movies::remove,
    posters::upload,
    posters::remove,
    showtimes::list,
    showtimes::create,
    showtimes::create_series,
    showtimes::show,
    showtimes::update,
    showtimes::remove,
    sales::showtime,
    sales::day,
))]
pub struct ApiDoc;

pub fn router(state: AdminState) -> Router {
    Router::new()
        .merge(cinemas::router())
        .merge(movies::router())
        .merge(showtimes::router())
        .merge(sales::router())
        .merge(posters::router())
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

/// An optional id from the query string; a malformed one is a bad request (422), not 404.
fn query_id(text: Option<String>, field: &str) -> Result<Option<Uuid>, Problem> {
    text.map(|t| {
        Uuid::parse_str(&t).map_err(|_| Problem::validation(format!("{field} is not a valid id")))
    })
    .transpose()
}

/// The UTC bounds `[from, to)` of `date` (YYYY-MM-DD) in the cinema's own time zone.
async fn cinema_day(
    state: &AdminState,
    cinema_id: Uuid,
    date: &str,
) -> Result<(NaiveDate, DateTime<Utc>, DateTime<Utc>), Problem> {
    let date: NaiveDate = date
        .parse()
        .map_err(|_| Problem::validation("date must be YYYY-MM-DD"))?;
    let cinema = state
        .store
        .get_cinemas(&[cinema_id])
        .await?
        .pop()
        .ok_or_else(|| Problem::not_found("Cinema"))?;
    // The zone was validated when stored; failing now means the row is corrupt.
    let zone = parse_time_zone(&cinema.time_zone).map_err(|e| Problem::internal(&e))?;
    let (from, to) = local_day(&zone, date)?;
    Ok((date, from, to))
}
