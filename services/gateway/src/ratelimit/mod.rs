//! GCRA rate limiting behind a port with two adapters: in memory (one process) and Redis
//! (every gateway of the cluster shares one budget). See docs/adr/0401-gateway-rate-limits.md.

use std::time::Duration;

use async_trait::async_trait;

pub mod gcra;
pub mod limiter;
pub mod memory;
pub mod redis;

pub use limiter::Limiter;
pub use memory::MemoryRateLimiter;
pub use redis::RedisRateLimiter;

/// `requests` per `period`. The whole quota may be spent at once; it then refills at one
/// request every `period / requests`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Quota {
    requests: u32,
    period: Duration,
}

impl Quota {
    /// A zero quota or period is taken as one, so that a typo cannot divide by zero or lock
    /// everyone out.
    pub fn new(requests: u32, period: Duration) -> Self {
        Self {
            requests: requests.max(1),
            period: period.max(Duration::from_millis(1)),
        }
    }

    pub fn requests(&self) -> u32 {
        self.requests
    }

    pub fn period(&self) -> Duration {
        self.period
    }

    /// The period in microseconds, the unit the GCRA arithmetic runs in.
    pub fn period_micros(&self) -> u64 {
        u64::try_from(self.period.as_micros()).unwrap_or(u64::MAX / 4)
    }

    /// The time one request "costs": `period / requests`.
    pub fn interval_micros(&self) -> u64 {
        (self.period_micros() / u64::from(self.requests)).max(1)
    }
}

/// The answer for one request, with what the `RateLimit-*` headers report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    pub limit: u32,
    pub remaining: u32,
    /// How long until a request would be allowed again; zero when this one was.
    pub retry_after: Duration,
    /// How long until the whole quota is available again.
    pub reset_after: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum RateLimitError {
    #[error("redis: {0}")]
    Redis(#[from] ::redis::RedisError),
    #[error("redis did not answer within {0:?}")]
    Timeout(Duration),
    #[error("unexpected answer from the rate limit script: {0}")]
    BadReply(String),
}

/// The port: counts one request against `key`'s budget under `quota`, atomically.
#[async_trait]
pub trait RateLimiter: Send + Sync {
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, RateLimitError>;
}
