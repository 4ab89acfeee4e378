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

    /// Catalog administration calls this first.
    pub fn require_admin(&self) -> Result<(), Problem> {
        if self.is_admin() {
            Ok(())
        } else {
            Err(Problem::forbidden())
        }
    }

    /// Door and desk work (booking look-ups, check-in): staff, and admins, who may do
    /// everything staff may.
    pub fn is_staff(&self) -> bool {
        matches!(self.role, Role::Staff | Role::Admin)
    }

    /// Staff operations call this first.
    pub fn require_staff(&self) -> Result<(), Problem> {
        if self.is_staff() {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(role: Role) -> Caller {
        Caller {
            user_id: Uuid::now_v7(),
            role,
        }
    }

    #[test]
    fn staff_work_is_for_staff_and_admins_but_not_customers() {
        assert!(caller(Role::Staff).require_staff().is_ok());
        assert!(caller(Role::Admin).require_staff().is_ok());
        let refused = caller(Role::Customer).require_staff();
        assert_eq!(
            refused.map_err(|p| p.status()),
            Err(axum::http::StatusCode::FORBIDDEN)
        );
    }

    #[test]
    fn staff_are_not_admins() {
        assert!(!caller(Role::Staff).is_admin());
        assert!(caller(Role::Staff).require_admin().is_err());
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for role in [Role::Customer, Role::Staff, Role::Admin] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).expect("json");
            assert_eq!(json, format!("\"{}\"", role.as_str()));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
