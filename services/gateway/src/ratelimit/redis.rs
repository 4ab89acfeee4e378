//! The Redis adapter: every gateway process counts against the same keys, so the cluster
//! enforces one budget.

use std::time::Duration;

use async_trait::async_trait;
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

use super::{Decision, Quota, RateLimitError, RateLimiter};

/// The GCRA of `gcra.rs`, run inside Redis so that read-modify-write is atomic across
/// gateways. The clock is Redis's own (`TIME`), so gateways with skewed clocks still agree.
/// Times are µs; the TAT is written with `%.0f` because Lua 5.1 would print a 16-digit number
/// in exponent form and lose precision.
const GCRA_SCRIPT: &str = r"
local interval = tonumber(ARGV[1])
local period = tonumber(ARGV[2])
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local tat = tonumber(redis.call('GET', KEYS[1])) or now
if tat < now then tat = now end
local new_tat = tat + interval
local allow_at = new_tat - period
if now < allow_at then
  return {0, 0, allow_at - now, tat - now}
end
local used = new_tat - now
redis.call('SET', KEYS[1], string.format('%.0f', new_tat), 'PX', math.ceil(used / 1000))
return {1, math.floor((period - used) / interval), 0, used}
";

pub struct RedisRateLimiter {
    connection: ConnectionManager,
    prefix: String,
    timeout: Duration,
    script: redis::Script,
}

impl RedisRateLimiter {
    /// Connects lazily: the gateway starts (and fails open) even when Redis is down.
    pub fn new(url: &str, prefix: &str, timeout: Duration) -> Result<Self, RateLimitError> {
        let client = redis::Client::open(url)?;
        // One quick reconnect attempt; the caller stops asking Redis for a while after a
        // failure, so longer retry loops would only delay requests.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1)
            .set_max_delay(timeout);
        let connection = ConnectionManager::new_lazy_with_config(client, config)?;
        Ok(Self {
            connection,
            prefix: prefix.to_owned(),
            timeout,
            script: redis::Script::new(GCRA_SCRIPT),
        })
    }

    /// For `/readyz`.
    pub async fn ping(&self) -> Result<(), RateLimitError> {
        let mut connection = self.connection.clone();
        let pong = tokio::time::timeout(
            self.timeout,
            redis::cmd("PING").query_async::<String>(&mut connection),
        )
        .await
        .map_err(|_| RateLimitError::Timeout(self.timeout))??;
        if pong == "PONG" {
            Ok(())
        } else {
            Err(RateLimitError::BadReply(pong))
        }
    }
}

#[async_trait]
impl RateLimiter for RedisRateLimiter {
    async fn check(&self, key: &str, quota: Quota) -> Result<Decision, RateLimitError> {
        let mut connection = self.connection.clone();
        let mut invocation = self.script.key(format!("{}{key}", self.prefix));
        invocation
            .arg(quota.interval_micros())
            .arg(quota.period_micros());
        let reply: Vec<i64> =
            tokio::time::timeout(self.timeout, invocation.invoke_async(&mut connection))
                .await
                .map_err(|_| RateLimitError::Timeout(self.timeout))??;
        let [allowed, remaining, retry_after, reset_after] = reply[..] else {
            return Err(RateLimitError::BadReply(format!("{reply:?}")));
        };
        let micros = |v: i64| Duration::from_micros(u64::try_from(v).unwrap_or(0));
        Ok(Decision {
            allowed: allowed == 1,
            limit: quota.requests(),
            remaining: u32::try_from(remaining).unwrap_or(0).min(quota.requests()),
            retry_after: micros(retry_after),
            reset_after: micros(reset_after),
        })
    }
}
