//! The gRPC service credential (ADR 0105): `Catalog` and `SeatInventory` answer only callers
//! presenting `authorization: Bearer <token>`, the secret shared with the booking service.
//! The same check as the payments API (`boxoffice_http::credential`), answered the gRPC way.

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use boxoffice_http::ServiceCredential;

/// Middleware over every gRPC service: `UNAUTHENTICATED` before any method runs.
pub async fn require_credential(
    State(credential): State<ServiceCredential>,
    request: Request,
    next: Next,
) -> Response {
    if credential.accepts_headers(request.headers()) {
        return next.run(request).await;
    }
    tonic::Status::unauthenticated("a valid service credential is required").into_http()
}
