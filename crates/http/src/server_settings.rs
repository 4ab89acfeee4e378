//! The limits every listener enforces, configured per listener (`<service>.server.*`).

use std::time::Duration;

use serde::{Deserialize, Serialize};

/// How long a client may hold a connection without using it, and how many it may hold.
///
/// One section per listener (`gateway.server`, `users.server`, `cinema.server`,
/// `cinema.grpc_server`, …), e.g. `BOXOFFICE_GATEWAY__SERVER__MAX_CONNECTIONS=10000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct ServerSettings {
    /// How long a client has, from connecting, to deliver its first request's headers (and,
    /// on HTTP/1.1, from the end of one answer to the end of the next request's headers).
    /// Connections that never finish a request are dropped after it: 6,000 of them used to
    /// stay open indefinitely. At most 30 s.
    pub header_timeout_ms: u64,
    /// A connection with no request in flight for this long is closed gracefully (HTTP/2
    /// GOAWAY, HTTP/1.1 close). Keep it above the clients' own pool idle timeouts (the
    /// gateway's is 30 s) so that clients, not the server, end idle connections.
    pub idle_timeout_ms: u64,
    /// Connections served at once on this listener; one more is answered `503` and closed.
    /// Keep it below the process's file descriptor limit (`ulimit -n`).
    pub max_connections: usize,
}

/// The longest header timeout accepted: beyond it a slow client is indistinguishable from
/// an attack that holds sockets.
pub const MAX_HEADER_TIMEOUT: Duration = Duration::from_secs(30);

impl Default for ServerSettings {
    fn default() -> Self {
        Self {
            header_timeout_ms: 15_000,
            idle_timeout_ms: 60_000,
            max_connections: 4_096,
        }
    }
}

impl ServerSettings {
    /// The header timeout, clamped to (0, 30 s].
    pub fn header_timeout(&self) -> Duration {
        Duration::from_millis(self.header_timeout_ms.max(1)).min(MAX_HEADER_TIMEOUT)
    }

    pub fn idle_timeout(&self) -> Duration {
        Duration::from_millis(self.idle_timeout_ms.max(1))
    }

    pub fn max_connections(&self) -> usize {
        self.max_connections.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_timeout_never_exceeds_thirty_seconds() {
        let settings = ServerSettings {
            header_timeout_ms: 120_000,
            ..ServerSettings::default()
        };
        assert_eq!(settings.header_timeout(), MAX_HEADER_TIMEOUT);
        assert!(ServerSettings::default().header_timeout() <= MAX_HEADER_TIMEOUT);
    }
}
