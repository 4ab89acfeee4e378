//! The back office's REST look-up, `GET /api/v1/admin/notifications?booking_id=…`: what was
//! sent about a booking, for the door and the box-office desk ("I never got my tickets").
//! Every route needs an access token with role staff or admin (401 without a valid token, 403
//! for customers), verified against the users service's JWKS like the cinema admin API.

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::QueryRejection;
use axum::extract::{FromRef, Query, State};
use axum::routing::get;
use boxoffice_auth::{Caller, Verifier, VerifierState};
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemDocument};
use serde::Deserialize;
use uuid::Uuid;

use crate::store::{BookingNotification, NotificationLog};

#[derive(Clone)]
pub struct ApiState {
    pub log: NotificationLog,
    pub verifier: Arc<Verifier>,
}

impl FromRef<ApiState> for VerifierState {
    fn from_ref(state: &ApiState) -> Self {
        state.verifier.clone()
    }
}

/// The notifications look-up's part of the public API document.
#[derive(utoipa::OpenApi)]
#[openapi(paths(for_booking))]
pub struct ApiDoc;

pub fn router(state: ApiState) -> Router {
    Router::new()
        .route("/api/v1/admin/notifications", get(for_booking))
        .with_state(state)
}

/// The query as sent; the id is parsed by hand so that a bad one gets the API's 422 problem
/// rather than the extractor's plain-text 400.
#[derive(Debug, Deserialize)]
struct LookupQuery {
    booking_id: Option<String>,
}

/// The caller is extracted first: an anonymous or customer request learns nothing, not even
/// whether its query was well formed.
#[utoipa::path(
    get,
    path = "/api/v1/admin/notifications",
    tag = "notifications",
    summary = "What was sent about a booking (staff)",
    params(("booking_id" = uuid::Uuid, Query, description = "The booking")),
    responses(
        (status = 200, description = "Every email and SMS about the booking, oldest first", body = Vec<BookingNotification>),
        (status = 422, description = "`validation_failed`: `booking_id` missing or not a UUID", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn for_booking(
    State(state): State<ApiState>,
    caller: Caller,
    query: Result<Query<LookupQuery>, QueryRejection>,
) -> Result<ApiJson<Vec<BookingNotification>>, Problem> {
    caller.require_staff()?;
    let booking_id = booking_id(query)?;
    let entries = state
        .log
        .for_booking(booking_id)
        .await
        .map_err(|e| Problem::internal(&e))?;
    Ok(ApiJson(entries))
}

fn booking_id(query: Result<Query<LookupQuery>, QueryRejection>) -> Result<Uuid, Problem> {
    let text = query
        .ok()
        .and_then(|Query(q)| q.booking_id)
        .filter(|id| !id.trim().is_empty())
        .ok_or_else(|| Problem::validation("booking_id is required"))?;
    Uuid::parse_str(text.trim()).map_err(|_| Problem::validation("booking_id must be a UUID"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(query: &str) -> Result<Uuid, Problem> {
        let uri: axum::http::Uri = format!("/x?{query}").parse().expect("uri");
        booking_id(Query::try_from_uri(&uri))
    }

    #[test]
    fn a_booking_id_must_be_present_and_a_uuid() {
        let id = Uuid::now_v7();
        assert_eq!(parsed(&format!("booking_id={id}")).ok(), Some(id));
        for bad in [
            "",
            "booking_id=",
            "booking_id=42",
            "other=1",
            "booking_id=%ZZ",
        ] {
            let refused = parsed(bad).map_err(|p| p.status());
            assert_eq!(
                refused,
                Err(axum::http::StatusCode::UNPROCESSABLE_ENTITY),
                "{bad:?}"
            );
        }
    }
}
