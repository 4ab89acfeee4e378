//! The booking service's settings (`[booking]` in the config file, `BOXOFFICE_BOOKING__*`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use boxoffice_config::Secret;
use serde::{Deserialize, Serialize};

use crate::clients::CallPolicy;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// GraphQL (HTTP and WebSocket), health and metrics.
    pub listen: SocketAddr,
    /// `postgres://…` or `sqlite:…`; the caller connects (see [`crate::MIGRATIONS`]).
    pub database_url: String,
    pub max_connections: u32,
    pub cinema_grpc_url: String,
    /// The cinema gRPC service credential (ADR 0105); `cinema_token_file` takes precedence.
    pub cinema_token: Secret,
    pub cinema_token_file: Option<PathBuf>,
    pub payments_url: String,
    /// The payments service credential (ADR 0201); `payments_token_file` takes precedence.
    pub payments_token: Secret,
    pub payments_token_file: Option<PathBuf>,
    pub users_url: String,
    /// Movies, cinemas and showtimes fetched by id are reused this long (0 = always ask the
    /// cinema service). Seat maps and holds are never cached this way.
    pub catalog_cache_ms: u64,
    /// A seat map is reused this long at most; changes made through this instance are seen
    /// at once (0 = ask the cinema service on every read). See ADR 0502.
    pub seat_map_cache_ms: u64,
    /// A customer's account (email and name for the tickets) is reused this long when they
    /// book again (0 = ask the users service every time).
    pub account_cache_ms: u64,
    /// A paid booking may be cancelled (and refunded) until this long before the show.
    pub refund_cutoff_minutes: u32,
    /// How long seats are held while the customer pays.
    pub hold_ttl_secs: u64,
    pub max_seats_per_booking: usize,
    /// Per attempt, for cinema and users calls.
    pub call_timeout_ms: u64,
    /// Per attempt, for payments calls: above the payments service's processor timeout.
    pub payments_timeout_ms: u64,
    /// Attempts in total for idempotent calls.
    pub retry_attempts: u32,
    pub retry_base_ms: u64,
    /// Consecutive failures that open a dependency's circuit breaker.
    pub breaker_threshold: u32,
    pub breaker_cooldown_ms: u64,
    /// How long one driver owns a booking's saga; must exceed the longest step.
    pub lease_secs: u64,
    pub recovery_interval_ms: u64,
    /// An in-flight step untouched this long (and unleased) is resumed by recovery.
    pub stuck_after_ms: u64,
    pub expiry_interval_ms: u64,
    /// A charge whose answer was lost counts as "not captured" only after this long; keep it
    /// above the payments service's `lock_timeout_ms`.
    pub charge_settle_after_ms: u64,
    pub relay_poll_interval_ms: u64,
    pub max_query_depth: usize,
    pub max_query_complexity: usize,
    pub max_query_bytes: usize,
    pub shutdown_grace_secs: u64,
    /// Connection limits of the listener.
    pub server: boxoffice_http::ServerSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8103)),
            database_url: String::new(),
            max_connections: 16,
            cinema_grpc_url: "http://127.0.0.1:50051".into(),
            cinema_token: Secret::default(),
            cinema_token_file: None,
            payments_url: "http://127.0.0.1:8104".into(),
            payments_token: Secret::default(),
            payments_token_file: None,
            users_url: "http://127.0.0.1:8101".into(),
            catalog_cache_ms: 5_000,
            account_cache_ms: 30_000,
            seat_map_cache_ms: 250,
            refund_cutoff_minutes: 120,
            hold_ttl_secs: 600,
            max_seats_per_booking: 10,
            call_timeout_ms: 3_000,
            payments_timeout_ms: 15_000,
            retry_attempts: 3,
            retry_base_ms: 100,
            breaker_threshold: 5,
            breaker_cooldown_ms: 5_000,
            lease_secs: 120,
            recovery_interval_ms: 10_000,
            stuck_after_ms: 5_000,
            expiry_interval_ms: 5_000,
            charge_settle_after_ms: 120_000,
            relay_poll_interval_ms: 200,
            max_query_depth: 10,
            max_query_complexity: 2_000,
            max_query_bytes: 64 * 1024,
            shutdown_grace_secs: 10,
            server: boxoffice_http::ServerSettings::default(),
        }
    }
}

impl Settings {
    pub(crate) fn call_policy(&self) -> CallPolicy {
        CallPolicy {
            timeout: Duration::from_millis(self.call_timeout_ms.max(1)),
            attempts: self.retry_attempts.max(1),
            base_backoff: Duration::from_millis(self.retry_base_ms),
        }
    }

    pub(crate) fn payments_policy(&self) -> CallPolicy {
        CallPolicy {
            timeout: Duration::from_millis(self.payments_timeout_ms.max(1)),
            ..self.call_policy()
        }
    }

    pub(crate) fn cooldown(&self) -> Duration {
        Duration::from_millis(self.breaker_cooldown_ms)
    }
}
