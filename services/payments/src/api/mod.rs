//! The internal REST API, called by the booking service only (never routed by the gateway).

use std::sync::Arc;

use axum::Router;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use boxoffice_http::{ApiJson, Problem, ProblemCode};
use serde::Deserialize;
use uuid::Uuid;

use crate::model::{CreatePayment, CreateRefund, PaymentList};
use crate::service::{Answer, PaymentError, Payments};

pub mod auth;
mod error;

pub use auth::ServiceCredential;

/// The header carrying the client's idempotency key, as in Stripe's API.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";
/// Set on an answer replayed from a finished idempotency key.
pub const IDEMPOTENT_REPLAYED: &str = "idempotent-replayed";

/// The API routes, behind the service credential.
pub fn router(payments: Arc<Payments>, credential: ServiceCredential) -> Router {
    Router::new()
        .route("/api/v1/payments", post(create_payment).get(list_payments))
        .route("/api/v1/payments/{id}", get(get_payment))
        .route("/api/v1/payments/{id}/refunds", post(create_refund))
        .route("/api/v1/ledger/audit", get(audit))
        .with_state(payments)
        .layer(axum::middleware::from_fn_with_state(
            credential,
            auth::require_credential,
        ))
}

fn idempotency_key(headers: &HeaderMap) -> Result<String, Problem> {
    let missing = || {
        Problem::new(
            ProblemCode::ValidationFailed,
            "An Idempotency-Key header is required",
        )
        .with_status(StatusCode::BAD_REQUEST)
        .with_detail("send 1 to 255 visible ASCII characters, unique per operation")
        .with_extension("reason", "idempotency_key_missing")
    };
    let key = headers
        .get(IDEMPOTENCY_KEY)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .ok_or_else(missing)?;
    if key.is_empty() || key.len() > 255 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(missing());
    }
    Ok(key.to_owned())
}

fn answer(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    let mut response = (status, axum::Json(answer.body)).into_response();
    if answer.replayed {
        response
            .headers_mut()
            .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
    }
    response
}

fn bad_id(_: PathRejection) -> Problem {
    Problem::not_found("Payment")
}

async fn create_payment(
    State(payments): State<Arc<Payments>>,
    headers: HeaderMap,
    body: Result<ApiJson<CreatePayment>, Problem>,
) -> Result<Response, Response> {
    let key = idempotency_key(&headers).map_err(IntoResponse::into_response)?;
    // The body carries card data: serde's messages can quote the offending value, so a shape
    // error answers without detail rather than echo a card number.
    let ApiJson(request) = body.map_err(|p| {
        if p.code() == ProblemCode::ValidationFailed {
            Problem::validation("the body is not a valid payment request").into_response()
        } else {
            p.into_response()
        }
    })?;
    payments
        .create_payment(&key, &request)
        .await
        .map(answer)
        .map_err(PaymentError::into_response)
}

async fn create_refund(
    State(payments): State<Arc<Payments>>,
    headers: HeaderMap,
    id: Result<Path<Uuid>, PathRejection>,
    body: Result<ApiJson<CreateRefund>, Problem>,
) -> Result<Response, Response> {
    let Path(id) = id.map_err(|e| bad_id(e).into_response())?;
    let key = idempotency_key(&headers).map_err(IntoResponse::into_response)?;
    let ApiJson(request) = body.map_err(IntoResponse::into_response)?;
    payments
        .refund(&key, id, &request)
        .await
        .map(answer)
        .map_err(PaymentError::into_response)
}

async fn get_payment(
    State(payments): State<Arc<Payments>>,
    id: Result<Path<Uuid>, PathRejection>,
) -> Result<Response, Response> {
    let Path(id) = id.map_err(|e| bad_id(e).into_response())?;
    let payment = payments
        .payment(id)
        .await
        .map_err(PaymentError::into_response)?;
    Ok(axum::Json(payment).into_response())
}

#[derive(Deserialize)]
struct ListQuery {
    booking_id: Uuid,
}

async fn list_payments(
    State(payments): State<Arc<Payments>>,
    query: Result<Query<ListQuery>, QueryRejection>,
) -> Result<Response, Response> {
    let Query(query) = query.map_err(|_| {
        Problem::validation("booking_id must be given as a UUID")
            .with_status(StatusCode::BAD_REQUEST)
            .into_response()
    })?;
    let data = payments
        .payments_for_booking(query.booking_id)
        .await
        .map_err(PaymentError::into_response)?;
    Ok(axum::Json(PaymentList { data }).into_response())
}

/// The ledger audit over every payment, for operators and load tests: `ok` is false and
/// `violations` lists each broken rule when the ledger does not balance.
async fn audit(State(payments): State<Arc<Payments>>) -> Result<Response, Response> {
    let report = payments
        .audit()
        .await
        .map_err(PaymentError::into_response)?;
    let violations: Vec<_> = report
        .violations
        .iter()
        .map(|(payment_id, violation)| serde_json::json!({"payment_id": payment_id, "violation": violation}))
        .collect();
    Ok(axum::Json(serde_json::json!({
        "ok": violations.is_empty(),
        "payments": report.payments,
        "charged": report.charged,
        "refunded": report.refunded,
        "net": report.charged - report.refunded,
        "violations": violations,
    }))
    .into_response())
}
