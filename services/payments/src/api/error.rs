//! [`PaymentError`] → problem+json. One table from error to code and status.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use boxoffice_http::{Problem, ProblemCode};

use crate::service::PaymentError;
use crate::store::RefundRejection;

impl IntoResponse for PaymentError {
    fn into_response(self) -> Response {
        let problem = match self {
            Self::Validation(e) => {
                Problem::validation(e.to_string()).with_extension("field", e.field())
            }
            Self::KeyInUse => Problem::new(
                ProblemCode::IdempotencyKeyInUse,
                "A request with this Idempotency-Key is still being processed",
            )
            .with_detail("retry later with the same key to get its answer"),
            Self::KeyReused => Problem::new(
                ProblemCode::ValidationFailed,
                "This Idempotency-Key was used with different parameters",
            )
            .with_extension("reason", "idempotency_key_reused"),
            Self::NotFound => Problem::not_found("Payment"),
            Self::RefundRejected(RefundRejection::ExceedsRemaining { remaining }) => Problem::new(
                ProblemCode::ValidationFailed,
                "The refund exceeds what is left of the charge",
            )
            .with_extension("reason", "refund_exceeds_charge")
            .with_extension("refundable", remaining.max(0)),
            Self::RefundRejected(_) => Problem::new(
                ProblemCode::Conflict,
                "Only a succeeded payment can be refunded",
            )
            .with_extension("reason", "payment_not_refundable"),
            Self::ProcessorUnavailable => {
                let mut response = Problem::new(
                    ProblemCode::UpstreamUnavailable,
                    "The card processor did not answer",
                )
                .with_detail("retry with the same Idempotency-Key; it will not charge twice")
                .into_response();
                response
                    .headers_mut()
                    .insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
                return response;
            }
            Self::SimulatedCrash => Problem::internal(&"simulated crash after the processor acted"),
            Self::Store(e) => Problem::internal(&e),
        };
        problem.into_response()
    }
}
