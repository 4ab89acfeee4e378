//! The users service: `GET /api/v1/users/me` with the caller's own token confirms that the
//! account is still active and tells us where to send the tickets.

use boxoffice_telemetry::TraceContext;
use boxoffice_telemetry::trace_context::TRACEPARENT;
use reqwest::StatusCode;
use serde::Deserialize;
use uuid::Uuid;

use super::resilience::{Breaker, CallError, CallPolicy};

#[derive(Debug, Clone, Deserialize)]
pub struct Account {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, thiserror::Error)]
pub enum UsersError {
    /// The token is no good any more, or the account was closed.
    #[error("the account is not active")]
    Inactive,
    #[error("users service unavailable: {0}")]
    Unavailable(String),
}

#[derive(Debug, thiserror::Error)]
enum Attempt {
    #[error("answered {0}")]
    Status(StatusCode),
    #[error(transparent)]
    Transport(#[from] reqwest::Error),
}

#[derive(Debug)]
pub struct UsersClient {
    http: reqwest::Client,
    base_url: String,
    breaker: Breaker,
    policy: CallPolicy,
}

impl UsersClient {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        policy: CallPolicy,
        breaker: Breaker,
    ) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            breaker,
            policy,
        }
    }

    /// The caller's account. A GET, so it is retried.
    pub async fn me(&self, token: &str) -> Result<Account, UsersError> {
        let url = format!("{}/api/v1/users/me", self.base_url);
        let outcome = self
            .breaker
            .call(
                &self.policy,
                true,
                |e: &Attempt| !matches!(e, Attempt::Status(s) if s.is_client_error()),
                || async {
                    let response = self
                        .http
                        .get(&url)
                        .bearer_auth(token)
                        .header(TRACEPARENT, TraceContext::outbound_header())
                        .send()
                        .await?;
                    if !response.status().is_success() {
                        return Err(Attempt::Status(response.status()));
                    }
                    Ok(response.json::<Account>().await?)
                },
            )
            .await;
        match outcome {
            Ok(account) => Ok(account),
            Err(CallError::Failed(Attempt::Status(s))) if s.is_client_error() => {
                Err(UsersError::Inactive)
            }
            Err(other) => Err(UsersError::Unavailable(other.to_string())),
        }
    }
}
