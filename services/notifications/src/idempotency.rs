//! The idempotency port: a short-lived claim per (event, channel), so that duplicates and
//! concurrent redeliveries are turned away cheaply before they reach the database. Redis in
//! production, in memory for the embedded deployment. It is an optimisation and a first line
//! of defence only: the notification log's unique key is what guarantees exactly once, so an
//! unavailable store is tolerated (see docs/adr/0301-notifications-exactly-once.md).

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use redis::AsyncCommands;
use redis::aio::ConnectionManager;
use redis::aio::ConnectionManagerConfig;

/// The value a claim is overwritten with once the notification was sent.
const DONE: &str = "done";

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The caller holds the claim until it completes, releases, or the claim expires.
    Acquired,
    /// Already sent.
    Done,
    /// Another worker holds it right now (or held it and died; it expires on its own).
    HeldByOther,
}

#[derive(Debug, thiserror::Error)]
#[error("idempotency store unavailable: {0}")]
pub struct IdempotencyError(String);

#[async_trait]
pub trait IdempotencyStore: Send + Sync + 'static {
    /// Claims `key` for `token` unless it exists (`SET NX` with an expiry).
    async fn claim(&self, key: &str, token: &str, ttl: Duration)
    -> Result<Claim, IdempotencyError>;
    /// Marks `key` done for `ttl`, so later duplicates stop here.
    async fn complete(&self, key: &str, ttl: Duration) -> Result<(), IdempotencyError>;
    /// Gives the claim up (after a failure) if `token` still holds it.
    async fn release(&self, key: &str, token: &str) -> Result<(), IdempotencyError>;
    async fn ping(&self) -> Result<(), IdempotencyError>;
}

/// Claims in Redis, every key under a prefix (one per deployment, or per test).
#[derive(Clone)]
pub struct RedisIdempotency {
    connection: ConnectionManager,
    prefix: String,
}

impl std::fmt::Debug for RedisIdempotency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisIdempotency")
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

/// Compare-and-delete: only the holder may release a claim.
const RELEASE_SCRIPT: &str = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end";

impl RedisIdempotency {
    /// Connects lazily, so the service starts (and still works, more slowly) with Redis down.
    /// Timeouts are short: a slow Redis must not hold up notifications, the database decides.
    pub fn new(url: &str, prefix: impl Into<String>) -> Result<Self, IdempotencyError> {
        let client = redis::Client::open(url).map_err(|e| IdempotencyError(e.to_string()))?;
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(Duration::from_millis(500)))
            .set_response_timeout(Some(Duration::from_millis(500)))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_lazy_with_config(client, config)
            .map_err(|e| IdempotencyError(e.to_string()))?;
        Ok(Self {
            connection,
            prefix: prefix.into(),
        })
    }

    fn key(&self, key: &str) -> String {
        format!("{}{key}", self.prefix)
    }
}

fn unavailable(e: redis::RedisError) -> IdempotencyError {
    IdempotencyError(e.to_string())
}

fn millis(ttl: Duration) -> u64 {
    u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX).max(1)
}

#[async_trait]
impl IdempotencyStore for RedisIdempotency {
    async fn claim(
        &self,
        key: &str,
        token: &str,
        ttl: Duration,
    ) -> Result<Claim, IdempotencyError> {
        let mut connection = self.connection.clone();
        // SET NX GET (Redis 7): one round trip that claims, or tells who holds the key.
        let previous: Option<String> = redis::cmd("SET")
            .arg(self.key(key))
            .arg(token)
            .arg("NX")
            .arg("GET")
            .arg("PX")
            .arg(millis(ttl))
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(match previous.as_deref() {
            None => Claim::Acquired,
            Some(DONE) => Claim::Done,
            Some(_) => Claim::HeldByOther,
        })
    }

    async fn complete(&self, key: &str, ttl: Duration) -> Result<(), IdempotencyError> {
        let mut connection = self.connection.clone();
        let _: () = connection
            .pset_ex(self.key(key), DONE, millis(ttl))
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn release(&self, key: &str, token: &str) -> Result<(), IdempotencyError> {
        let mut connection = self.connection.clone();
        let _: i64 = redis::Script::new(RELEASE_SCRIPT)
            .key(self.key(key))
            .arg(token)
            .invoke_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }

    async fn ping(&self) -> Result<(), IdempotencyError> {
        let mut connection = self.connection.clone();
        let _: String = redis::cmd("PING")
            .query_async(&mut connection)
            .await
            .map_err(unavailable)?;
        Ok(())
    }
}

/// Claims in this process's memory, for the embedded deployment (one process, so it sees
/// every consumer).
#[derive(Debug, Clone, Default)]
pub struct MemoryIdempotency {
    entries: Arc<Mutex<HashMap<String, (String, Instant)>>>,
}

impl MemoryIdempotency {
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait]
impl IdempotencyStore for MemoryIdempotency {
    async fn claim(
        &self,
        key: &str,
        token: &str,
        ttl: Duration,
    ) -> Result<Claim, IdempotencyError> {
        let now = Instant::now();
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        // Expired entries go on the way, which keeps the map bounded by the live claims.
        entries.retain(|_, (_, expires)| *expires > now);
        match entries.get(key) {
            Some((value, _)) if value == DONE => Ok(Claim::Done),
            Some(_) => Ok(Claim::HeldByOther),
            None => {
                entries.insert(key.to_owned(), (token.to_owned(), now + ttl));
                Ok(Claim::Acquired)
            }
        }
    }

    async fn complete(&self, key: &str, ttl: Duration) -> Result<(), IdempotencyError> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(key.to_owned(), (DONE.to_owned(), Instant::now() + ttl));
        Ok(())
    }

    async fn release(&self, key: &str, token: &str) -> Result<(), IdempotencyError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if entries.get(key).is_some_and(|(value, _)| value == token) {
            entries.remove(key);
        }
        Ok(())
    }

    async fn ping(&self) -> Result<(), IdempotencyError> {
        Ok(())
    }
}
