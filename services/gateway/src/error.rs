//! What can go wrong between the gateway and an upstream, and how the client hears of it.

use std::time::Duration;

use boxoffice_http::{Problem, ProblemCode};

#[derive(Debug, thiserror::Error)]
pub enum ProxyError {
    #[error("the request body is larger than {limit} bytes")]
    BodyTooLarge { limit: usize },
    #[error("{upstream} did not answer within {after:?}")]
    Timeout {
        upstream: &'static str,
        after: Duration,
    },
    #[error("{upstream} is unavailable: {cause}")]
    Unavailable {
        upstream: &'static str,
        cause: String,
    },
    #[error("{upstream} failed: {cause}")]
    BadGateway {
        upstream: &'static str,
        cause: String,
    },
}

impl From<ProxyError> for Problem {
    fn from(error: ProxyError) -> Self {
        // The cause stays in the log: upstream addresses and socket errors are nobody's
        // business outside the cluster.
        match error {
            ProxyError::BodyTooLarge { limit } => {
                Problem::new(ProblemCode::BodyTooLarge, "The request body is too large")
                    .with_detail(format!("At most {limit} bytes are accepted"))
            }
            ProxyError::Timeout { upstream, .. } => {
                tracing::warn!(%error, "upstream timed out");
                Problem::new(
                    ProblemCode::UpstreamTimeout,
                    "The service took too long to answer",
                )
                .with_extension("service", upstream)
            }
            ProxyError::Unavailable { upstream, .. } => {
                tracing::warn!(%error, "upstream unavailable");
                Problem::new(
                    ProblemCode::UpstreamUnavailable,
                    "The service is temporarily unavailable",
                )
                .with_extension("service", upstream)
            }
            ProxyError::BadGateway { upstream, .. } => {
                tracing::warn!(%error, "upstream failed");
                Problem::new(
                    ProblemCode::UpstreamUnavailable,
                    "The service answered with an invalid response",
                )
                .with_status(axum::http::StatusCode::BAD_GATEWAY)
                .with_extension("service", upstream)
            }
        }
    }
}
