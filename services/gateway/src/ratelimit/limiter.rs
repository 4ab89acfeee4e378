//! The limiter the gateway calls: Redis when configured, in memory otherwise, and in memory
//! while Redis is failing (fail open, see docs/adr/0401-gateway-rate-limits.md).

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::{Decision, MemoryRateLimiter, Quota, RateLimiter, RedisRateLimiter};

/// After a Redis failure, requests use the in-memory limiter for this long before Redis is
/// tried again, so an outage costs one timeout now and then instead of one per request.
const REDIS_RETRY_AFTER: Duration = Duration::from_secs(2);

pub struct Limiter {
    redis: Option<RedisRateLimiter>,
    memory: MemoryRateLimiter,
    /// Until when Redis is being skipped; `None` while it is healthy.
    redis_down_until: Mutex<Option<Instant>>,
}

impl Limiter {
    pub fn in_memory() -> Self {
        Self {
            redis: None,
            memory: MemoryRateLimiter::new(),
            redis_down_until: Mutex::new(None),
        }
    }

    pub fn with_redis(redis: RedisRateLimiter) -> Self {
        Self {
            redis: Some(redis),
            ..Self::in_memory()
        }
    }

    pub fn redis(&self) -> Option<&RedisRateLimiter> {
        self.redis.as_ref()
    }

    /// Counts one request; never fails.
    pub async fn check(&self, key: &str, quota: Quota) -> Decision {
        let Some(redis) = &self.redis else {
            return self.memory.decide(key, quota);
        };
        if self.skipping_redis() {
            return self.memory.decide(key, quota);
        }
        match redis.check(key, quota).await {
            Ok(decision) => {
                self.mark_redis(None);
                decision
            }
            Err(error) => {
                self.mark_redis(Some(&error));
                self.memory.decide(key, quota)
            }
        }
    }

    fn skipping_redis(&self) -> bool {
        self.redis_down_until
            .lock()
            .map(|until| until.is_some_and(|at| Instant::now() < at))
            .unwrap_or(false)
    }

    /// Records Redis's health, logging only the transitions so an outage is one warning and
    /// one recovery line, not one line per request.
    fn mark_redis(&self, error: Option<&super::RateLimitError>) {
        let Ok(mut until) = self.redis_down_until.lock() else {
            return;
        };
        match error {
            Some(error) => {
                if until.is_none() {
                    tracing::warn!(%error, "redis rate limiter failing: using the in-memory limiter (fail open)");
                }
                metrics::counter!("boxoffice_gateway_rate_limit_redis_failures_total").increment(1);
                *until = Some(Instant::now() + REDIS_RETRY_AFTER);
            }
            None => {
                if until.take().is_some() {
                    tracing::info!("redis rate limiter recovered");
                }
            }
        }
    }
}
