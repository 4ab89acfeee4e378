//! The service credential (ADR 0201): every API call carries `Authorization: Bearer <token>`
//! with the shared secret configured for the payments service and its one caller, booking.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use boxoffice_config::Secret;
use boxoffice_http::Problem;
use sha2::{Digest, Sha256};

/// The expected token, kept only as its SHA-256 digest.
#[derive(Clone)]
pub struct ServiceCredential(Arc<[u8; 32]>);

impl ServiceCredential {
    pub fn new(token: &Secret) -> Self {
        Self(Arc::new(digest(token.expose())))
    }

    /// Compares digests in constant time: equal-length inputs, no early exit, so the time
    /// taken says nothing about how much of a guess was right.
    pub fn accepts(&self, presented: &str) -> bool {
        let presented = digest(presented);
        let diff = self
            .0
            .iter()
            .zip(presented.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Rejects requests without the service credential with 401 problem+json.
pub async fn require_credential(
    State(credential): State<ServiceCredential>,
    request: Request,
    next: Next,
) -> Response {
    let presented = request
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    match presented {
        Some(token) if credential.accepts(token.trim()) => next.run(request).await,
        _ => {
            let mut response = Problem::unauthenticated()
                .with_detail("a valid service credential is required")
                .into_response();
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_token_is_accepted() {
        let credential = ServiceCredential::new(&Secret::new("s3cret-token-for-tests"));
        assert!(credential.accepts("s3cret-token-for-tests"));
        assert!(!credential.accepts("s3cret-token-for-test"));
        assert!(!credential.accepts(""));
    }
}
