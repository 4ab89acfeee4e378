//! The authenticated caller, extracted from `Authorization: Bearer …`.

use std::sync::Arc;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use boxoffice_http::Problem;
use uuid::Uuid;

use crate::claims::{Claims, Role};
use crate::error::AuthError;
use crate::verifier::Verifier;

/// The verifier a service's router state hands to the extractor.
pub type VerifierState = Arc<Verifier>;

/// Who is calling, as proven by a verified access token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    pub user_id: Uuid,
    pub role: Role,
}

impl Caller {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }

    pub fn require_staff(&self) -> Result<(), Problem> {
        if self.is_staff() {
            Ok(())
        } else {
            Err(Problem::forbidden())
        }
    }

    /// Staff-only operations call this first.
    pub fn require_admin(&self) -> Result<(), Problem> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Problem::forbidden())
        }
    }
}

impl From<Claims> for Caller {
    fn from(claims: Claims) -> Self {
        Self {
            user_id: claims.sub,
            role: claims.role,
        }
    }
}

/// Reads the bearer token of a request, if there is one.
pub fn bearer_token(parts: &Parts) -> Result<&str, AuthError> {
    let value = parts
        .headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .ok_or(AuthError::MissingToken)?;
    let (scheme, token) = value.split_once(' ').ok_or(AuthError::MissingToken)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(AuthError::MissingToken);
    }
    Ok(token.trim())
}

impl<S> FromRequestParts<S> for Caller
where
    VerifierState: FromRef<S>,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let verifier = VerifierState::from_ref(state);
        let token = bearer_token(parts)?;
        let claims = verifier.verify(token).await?;
        Ok(claims.into())
    }
}
