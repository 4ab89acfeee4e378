//! One table from store errors to gRPC statuses and problem+json. Database failures are logged
//! here once and leave as an opaque internal error.

use boxoffice_http::{Problem, ProblemCode};
use tonic::{Code, Status};

use crate::domain::Invalid;
use crate::store::StoreError;

impl From<StoreError> for Status {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => Status::not_found(format!("{what} not found")),
            StoreError::Invalid(message) => Status::invalid_argument(message),
            StoreError::Conflict(message) => Status::failed_precondition(message),
            clash @ StoreError::Clash(_) => Status::failed_precondition(clash.to_string()),
            StoreError::SeatsUnavailable(seats) => Status::with_details(
                Code::FailedPrecondition,
                format!("SEATS_UNAVAILABLE: {}", seats.join(", ")),
                boxoffice_proto::seats_unavailable_details(&seats).into(),
            ),
            StoreError::HoldExpired => Status::failed_precondition(
                "HOLD_EXPIRED: the hold expired or its seats were taken",
            ),
            StoreError::HoldReleased => {
                Status::failed_precondition("HOLD_RELEASED: the hold was released")
            }
            StoreError::HoldIdReused => {
                Status::already_exists("hold_id was already used for a different request")
            }
            other @ (StoreError::Database(_) | StoreError::Corrupt(_)) => {
                tracing::error!(error = %other, "inventory failure");
                Status::internal("internal error")
            }
        }
    }
}

impl From<StoreError> for Problem {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound(what) => Problem::not_found(&capitalise(&what)),
            StoreError::Invalid(message) => Problem::validation(message),
            StoreError::Conflict(message) => Problem::new(
                ProblemCode::Conflict,
                "The change conflicts with existing data",
            )
            .with_detail(message),
            StoreError::Clash(clashes) => Problem::new(
                ProblemCode::ShowtimeClash,
                "The auditorium is busy with another showtime then",
            )
            .with_detail(format!(
                "{} existing showtime(s) overlap, cleaning time included",
                clashes.len()
            ))
            .with_extension("clashes", clashes),
            other @ (StoreError::Database(_) | StoreError::Corrupt(_)) => Problem::internal(&other),
            other => Problem::new(ProblemCode::Conflict, "Conflict").with_detail(other.to_string()),
        }
    }
}

impl From<Invalid> for Status {
    fn from(error: Invalid) -> Self {
        Status::invalid_argument(error.0)
    }
}

impl From<Invalid> for Problem {
    fn from(error: Invalid) -> Self {
        Problem::validation(error.0)
    }
}

fn capitalise(text: &str) -> String {
    let mut chars = text.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
