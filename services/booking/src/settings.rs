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
    /// Unpaid bookings one customer may have at once; a third createBooking (by default)
    /// answers HOLD_LIMIT until one is paid, cancelled or expired. See ADR 0504.
    pub max_pending_bookings: usize,
    /// Seats of one showtime one customer may hold plus have bought, over all their bookings.
    pub max_seats_per_customer_per_showtime: usize,
    /// Payment attempts (distinct idempotency keys) per booking; after that many unsuccessful
    /// ones, payBooking answers PAYMENT_ATTEMPTS_EXCEEDED without calling payments.
    pub max_payment_attempts: u32,
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
    /// The most a signed-in caller's request may cost, in fields of the largest answer it can
    /// have (every list multiplied by its bound, every alias, fragment spread and operation
    /// counted; ADR 0503). Over it: QUERY_TOO_COMPLEX before anything runs.
    pub max_query_cost: u64,
    /// The same for anonymous callers (and sockets that did not sign in): the shop's heaviest
    /// anonymous page, a 2,000-seat map, costs ~22,000.
    pub max_query_cost_anonymous: u64,
    /// Largest answer sent, serialised; a larger one is replaced by QUERY_TOO_COMPLEX.
    pub max_answer_bytes: usize,
    /// Messages a WebSocket connection may send per second (burst of one second's worth);
    /// past it the connection is closed with 4429.
    pub ws_messages_per_sec: u32,
    /// Messages all the sockets of one client (user, else client IP) may send per second.
    pub ws_client_messages_per_sec: u32,
    /// Operations (subscriptions, or queries sent over the socket) one connection may have
    /// running; more are answered with an error and not started.
    pub ws_max_subscriptions: usize,
    /// Open WebSocket connections per client (user, else client IP); more get 429.
    pub ws_max_connections_per_client: usize,
    /// A socket that has not sent `connection_init` this long after opening is closed (4408).
    pub ws_init_timeout_ms: u64,
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
            max_pending_bookings: 2,
            max_seats_per_customer_per_showtime: 10,
            max_payment_attempts: 5,
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
            max_query_cost: 200_000,
            max_query_cost_anonymous: 50_000,
            max_answer_bytes: 2 * 1024 * 1024,
            ws_messages_per_sec: 10,
            ws_client_messages_per_sec: 50,
            ws_max_subscriptions: 5,
            ws_max_connections_per_client: 16,
            ws_init_timeout_ms: 5_000,
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

    /// The GraphQL limits these settings ask for (also what tests cost the shop's queries with).
    pub fn graphql_limits(&self) -> crate::graphql::Limits {
        crate::graphql::Limits {
            max_depth: self.max_query_depth,
            max_complexity: self.max_query_complexity,
            max_query_bytes: self.max_query_bytes,
            max_cost: self.max_query_cost,
            max_cost_anonymous: self.max_query_cost_anonymous,
            max_answer_bytes: self.max_answer_bytes,
            max_seats_per_booking: self.max_seats_per_booking.max(1),
            sockets: crate::graphql::SocketLimits {
                messages_per_sec: self.ws_messages_per_sec,
                client_messages_per_sec: self.ws_client_messages_per_sec,
                max_operations: self.ws_max_subscriptions.max(1),
                max_connections_per_client: self.ws_max_connections_per_client.max(1),
                init_timeout: Duration::from_millis(self.ws_init_timeout_ms.max(1)),
            },
        }
    }

    pub(crate) fn cooldown(&self) -> Duration {
        Duration::from_millis(self.breaker_cooldown_ms)
    }
}
