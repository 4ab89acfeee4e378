//! What every outbound call goes through: a timeout per attempt, retries with jittered
//! exponential backoff (only for calls that are idempotent), and a circuit breaker per
//! dependency so that a dead dependency costs callers nothing but a fast, clear error.

use std::future::Future;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

#[derive(Debug, Clone, Copy)]
pub struct CallPolicy {
    pub timeout: Duration,
    /// Attempts in total for an idempotent call; other calls get exactly one.
    pub attempts: u32,
    pub base_backoff: Duration,
}

/// Why a call did not produce the dependency's answer.
#[derive(Debug, thiserror::Error)]
pub enum CallError<E> {
    #[error("{0} is unavailable (circuit open)")]
    Open(&'static str),
    #[error("{0} did not answer in time")]
    Timeout(&'static str),
    #[error(transparent)]
    Failed(E),
}

#[derive(Debug, Default)]
struct BreakerState {
    consecutive_failures: u32,
    open_until: Option<Instant>,
}

/// Opens after `threshold` consecutive failures; after `cooldown` it lets calls through again
/// (half-open): one success closes it, one failure opens it for another cooldown.
#[derive(Debug)]
pub struct Breaker {
    name: &'static str,
    threshold: u32,
    cooldown: Duration,
    state: Mutex<BreakerState>,
    /// `boxoffice_circuit_breaker_open{breaker}`: 1 from the moment it opens until a call
    /// succeeds again (so a half-open breaker that has not proved itself still reads 1).
    open_gauge: metrics::Gauge,
}

impl Breaker {
    pub fn new(name: &'static str, threshold: u32, cooldown: Duration) -> Self {
        // Registered (at 0) now, so a dashboard and an alert see every breaker before it trips.
        let open_gauge = metrics::gauge!("boxoffice_circuit_breaker_open", "breaker" => name);
        open_gauge.set(0.0);
        Self {
            name,
            threshold: threshold.max(1),
            cooldown,
            state: Mutex::new(BreakerState::default()),
            open_gauge,
        }
    }

    pub fn name(&self) -> &'static str {
        self.name
    }

    pub fn is_open(&self) -> bool {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.open_until.is_some_and(|until| Instant::now() < until)
    }

    fn record(&self, healthy: bool) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if healthy {
            if state.open_until.is_some() {
                tracing::info!(dependency = self.name, "circuit breaker closed");
                self.open_gauge.set(0.0);
            }
            *state = BreakerState::default();
            return;
        }
        state.consecutive_failures = state.consecutive_failures.saturating_add(1);
        if state.consecutive_failures >= self.threshold {
            if state.open_until.is_none() {
                tracing::warn!(dependency = self.name, "circuit breaker opened");
                self.open_gauge.set(1.0);
            }
            state.open_until = Some(Instant::now() + self.cooldown);
        }
    }

    /// Runs `call`. `transient` says whether an error means the dependency is unwell (and, for
    /// an idempotent call, is worth retrying); business answers such as "not found" are not.
    pub async fn call<T, E, F, Fut>(
        &self,
        policy: &CallPolicy,
        idempotent: bool,
        transient: impl Fn(&E) -> bool,
        mut call: F,
    ) -> Result<T, CallError<E>>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let attempts = if idempotent {
            policy.attempts.max(1)
        } else {
            1
        };
        let mut attempt = 0;
        loop {
            attempt += 1;
            if self.is_open() {
                return Err(CallError::Open(self.name));
            }
            let outcome = tokio::time::timeout(policy.timeout, call()).await;
            let error = match outcome {
                Ok(Ok(value)) => {
                    self.record(true);
                    return Ok(value);
                }
                Ok(Err(e)) if !transient(&e) => {
                    self.record(true);
                    return Err(CallError::Failed(e));
                }
                Ok(Err(e)) => CallError::Failed(e),
                Err(_) => CallError::Timeout(self.name),
            };
            self.record(false);
            if attempt >= attempts {
                return Err(error);
            }
            tokio::time::sleep(backoff(policy.base_backoff, attempt)).await;
        }
    }
}

/// Full jitter: a random delay up to `base * 2^(attempt-1)`, so that many callers who failed
/// together do not retry together.
pub fn backoff(base: Duration, attempt: u32) -> Duration {
    let cap = base.saturating_mul(2u32.saturating_pow(attempt.saturating_sub(1).min(10)));
    let mut bytes = [0u8; 4];
    let fraction = match getrandom::fill(&mut bytes) {
        Ok(()) => f64::from(u32::from_le_bytes(bytes)) / f64::from(u32::MAX),
        Err(_) => 0.5,
    };
    cap.mul_f64(fraction.clamp(0.1, 1.0))
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    fn policy() -> CallPolicy {
        CallPolicy {
            timeout: Duration::from_millis(200),
            attempts: 3,
            base_backoff: Duration::from_millis(1),
        }
    }

    #[tokio::test]
    async fn idempotent_calls_are_retried_and_others_are_not() {
        let breaker = Breaker::new("dep", 100, Duration::from_secs(1));
        let calls = AtomicU32::new(0);
        let failing = || async {
            calls.fetch_add(1, Ordering::SeqCst);
            Err::<(), &str>("down")
        };
        let _ = breaker.call(&policy(), true, |_| true, failing).await;
        assert_eq!(calls.swap(0, Ordering::SeqCst), 3);
        let _ = breaker.call(&policy(), false, |_| true, failing).await;
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn the_breaker_opens_after_repeated_failures_and_fails_fast() {
        let breaker = Breaker::new("dep", 2, Duration::from_secs(60));
        for _ in 0..2 {
            let _ = breaker
                .call(
                    &policy(),
                    false,
                    |_| true,
                    || async { Err::<(), _>("down") },
                )
                .await;
        }
        let outcome = breaker
            .call(&policy(), false, |_: &&str| true, || async { Ok(()) })
            .await;
        assert!(matches!(outcome, Err(CallError::Open("dep"))));
    }

    #[tokio::test]
    async fn business_errors_do_not_trip_the_breaker_and_slow_calls_time_out() {
        let breaker = Breaker::new("dep", 1, Duration::from_secs(60));
        let outcome = breaker
            .call(
                &policy(),
                true,
                |_| false,
                || async { Err::<(), _>("not found") },
            )
            .await;
        assert!(matches!(outcome, Err(CallError::Failed("not found"))));
        assert!(!breaker.is_open());
        let slow = breaker
            .call(
                &policy(),
                false,
                |_: &&str| true,
                || async {
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    Ok(())
                },
            )
            .await;
        assert!(matches!(slow, Err(CallError::Timeout("dep"))));
        assert!(breaker.is_open());
    }

    #[test]
    fn backoff_stays_under_its_cap() {
        for attempt in 1..6 {
            let cap = Duration::from_millis(10) * 2u32.pow(attempt - 1);
            assert!(backoff(Duration::from_millis(10), attempt) <= cap);
        }
    }
}
