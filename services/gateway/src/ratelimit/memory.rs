//! The in-memory adapter: one budget per process.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Instant;

use async_trait::async_trait;

use super::{Decision, Quota, RateLimitError, RateLimiter, gcra};

/// Above this many keys, keys whose budget is full again are dropped: they hold no
/// information, and without pruning a scan over many client IPs would grow the map forever.
const PRUNE_ABOVE: usize = 10_000;

pub struct MemoryRateLimiter {
    epoch: Instant,
    /// Key → TAT in µs since `epoch`.
    tats: Mutex<HashMap<String, u64>>,
}

impl Default for MemoryRateLimiter {
    fn default() -> Self {
        Self::new()
    }
}

impl MemoryRateLimiter {
    pub fn new() -> Self {
        Self {
            epoch: Instant::now(),
            tats: Mutex::new(HashMap::new()),
        }
    }

    /// Infallible, unlike the port's signature: the fail-open path relies on that.
    pub fn decide(&self, key: &str, quota: Quota) -> Decision {
        let now = u64::try_from(self.epoch.elapsed().as_micros()).unwrap_or(u64::MAX / 4);
        // A poisoned lock only means another request panicked mid-update of a number; the map
        // is still usable.
        let mut tats = self
            .tats
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if tats.len() > PRUNE_ABOVE {
            tats.retain(|_, tat| *tat > now);
        }
        let (decision, new_tat) = gcra::apply(tats.get(key).copied(), now, quota);
        if let Some(tat) = new_tat {
            tats.insert(key.to_owned(), tat);
        }
        decision
    }
}

#[async_trait]
impl RateLimiter for MemoryRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, RateLimitError> {
        Ok(self.decide(key, quota))
    }
}
