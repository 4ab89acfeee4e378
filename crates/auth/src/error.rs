use boxoffice_http::{Problem, ProblemCode};

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("no bearer token")]
    MissingToken,
    #[error("invalid token: {0}")]
    InvalidToken(&'static str),
    #[error("the signing keys are unavailable: {0}")]
    KeysUnavailable(String),
    #[error("key material is invalid: {0}")]
    BadKey(String),
    #[error("signing failed: {0}")]
    Signing(String),
    #[error("key file: {0}")]
    Io(#[from] std::io::Error),
}

impl From<AuthError> for Problem {
    fn from(error: AuthError) -> Self {
        match error {
            AuthError::MissingToken => Problem::unauthenticated(),
            // The reason is logged, not sent: telling an attacker which check failed helps them.
            AuthError::InvalidToken(reason) => {
                tracing::debug!(reason, "token rejected");
                Problem::new(ProblemCode::InvalidToken, "The access token is not valid")
            }
            AuthError::KeysUnavailable(_) => Problem::new(
                ProblemCode::UpstreamUnavailable,
                "Cannot verify tokens right now",
            ),
            other => Problem::internal(&other),
        }
    }
}
