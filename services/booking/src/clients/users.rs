//! The users service: `GET /api/v1/users/me` with the caller's own token confirms that the
//! account is still active and tells us where to send the tickets.

use boxoffice_telemetry::trace_context;
use reqwest::StatusCode;
use serde::Deserialize;
use uuid::Uuid;

use super::resilience::{Breaker, CallError, CallPolicy};
use super::ttl_cache::TtlCache;

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
    accounts: TtlCache<Uuid, Account>,
}

/// Accounts kept for `account`: the customers active in the last `account_ttl`.
const ACCOUNT_CACHE_ENTRIES: usize = 100_000;

impl UsersClient {
    pub fn new(
        http: reqwest::Client,
        base_url: &str,
        policy: CallPolicy,
        breaker: Breaker,
        account_ttl: std::time::Duration,
    ) -> Self {
        Self {
            http,
            base_url: base_url.trim_end_matches('/').to_owned(),
            breaker,
            policy,
            accounts: TtlCache::new(account_ttl, ACCOUNT_CACHE_ENTRIES),
        }
    }

    /// The account of `user_id` for a booking's tickets, asked of the users service at most
    /// once per `account_ttl`: a customer booking several times in a row (or retrying during a
    /// rush) costs one lookup. A closed account is noticed within that time, well inside the
    /// lifetime of the access token it already holds.
    pub async fn account(&self, user_id: Uuid, token: &str) -> Result<Account, UsersError> {
        if let Some(account) = self.accounts.get(&user_id) {
            return Ok(account);
        }
        let account = self.me(token).await?;
        if account.id == user_id {
            self.accounts.insert(user_id, account.clone());
        }
        Ok(account)
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
                    let mut request = self.http.get(&url).bearer_auth(token);
                    for (name, value) in trace_context::outbound() {
                        request = request.header(name, value);
                    }
                    let response = request.send().await?;
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
