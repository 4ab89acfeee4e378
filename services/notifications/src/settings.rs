//! The service's settings: every field has a default that works on a fresh machine.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::email::SmtpSettings;

/// Where emails go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum EmailSettings {
    Smtp(SmtpSettings),
    /// One `.eml` file per message in `dir` (default: `<data_dir>/email-outbox`).
    File {
        dir: Option<PathBuf>,
    },
}

impl Default for EmailSettings {
    fn default() -> Self {
        Self::File { dir: None }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    /// Health, readiness and metrics.
    pub listen: String,
    /// `postgres://…` or `sqlite:…`; default: `notifications.db` in `data_dir`.
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    /// RabbitMQ (`amqp://user:password@host:5672/vhost`); default: the in-process bus.
    pub amqp_url: Option<String>,
    /// Redis for the idempotency claims; default: in memory.
    pub redis_url: Option<String>,
    /// Prefix of every Redis key of this service.
    pub redis_prefix: String,
    pub email: EmailSettings,
    /// The sender of every email.
    pub from: String,
    /// The durable queue this service consumes.
    pub queue: String,
    /// Events handled at once (AMQP prefetch).
    pub prefetch: u16,
    /// Attempts before a failing event goes to the dead-letter queue.
    pub max_attempts: u32,
    pub retry_base_ms: u64,
    pub retry_max_ms: u64,
    /// How long a worker owns a notification while sending it; must exceed the longest send
    /// (SMTP timeout per command times a few commands). A crashed worker's notifications wait
    /// this long before another worker takes them over.
    pub claim_ttl_ms: u64,
    /// How long Redis remembers a sent notification (duplicates later than that are still
    /// caught by the log, one query slower).
    pub done_ttl_secs: u64,
    /// How long shutdown waits for in-flight events and HTTP requests.
    pub drain_timeout_secs: u64,
    /// Connection limits of the listener.
    pub server: boxoffice_http::ServerSettings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8105".to_owned(),
            database_url: None,
            data_dir: PathBuf::from("./boxoffice-data"),
            amqp_url: None,
            redis_url: None,
            redis_prefix: "boxoffice:notifications:".to_owned(),
            email: EmailSettings::default(),
            from: "boxoffice <tickets@boxoffice.localhost>".to_owned(),
            queue: "notifications".to_owned(),
            prefetch: 16,
            max_attempts: 5,
            retry_base_ms: 1_000,
            retry_max_ms: 60_000,
            claim_ttl_ms: 120_000,
            done_ttl_secs: 7 * 24 * 3600,
            drain_timeout_secs: 10,
            server: boxoffice_http::ServerSettings::default(),
        }
    }
}
