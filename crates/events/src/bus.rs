//! The event bus port: what producers and consumers see, whichever adapter carries the events.
//!
//! Contract, identical for both adapters: at-least-once. `publish` returns only once the bus has
//! taken responsibility for the event (RabbitMQ: the publisher confirm; in-process: every bound
//! subscription has handled or dead-lettered it). A handler is called one or more times per
//! event; an event is removed from its queue only after the handler succeeded, after it was
//! dead-lettered, or after a copy was safely re-queued for a later retry. Handlers must
//! therefore be idempotent.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use boxoffice_outbox::EventEnvelope;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

#[derive(Debug, thiserror::Error)]
pub enum BusError {
    #[error("broker: {0}")]
    Broker(#[from] lapin::Error),
    #[error("the broker did not confirm the message: {0}")]
    NotConfirmed(String),
    #[error("timed out: {0}")]
    Timeout(&'static str),
    #[error("the consumer of queue {0} stopped before handling the event")]
    ConsumerGone(String),
    #[error("cannot encode the event: {0}")]
    Encode(#[from] serde_json::Error),
}

/// Why a handler did not complete; decides what happens to the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HandleError {
    /// Worth retrying (SMTP down, database unavailable): retried with backoff, dead-lettered
    /// after [`RetryPolicy::max_attempts`].
    #[error("transient failure: {0}")]
    Transient(String),
    /// Can never succeed (data that does not parse): dead-lettered at once.
    #[error("permanent failure: {0}")]
    Permanent(String),
    /// Someone else is handling the same event right now: look again later, without counting
    /// an attempt, because nothing failed.
    #[error("busy: {0}")]
    Busy(String),
}

/// Handles the events of one subscription.
#[async_trait]
pub trait EventHandler: Send + Sync + 'static {
    async fn handle(&self, event: &EventEnvelope) -> Result<(), HandleError>;
}

/// How a failing message is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in total, the first included, before a message is dead-lettered.
    pub max_attempts: u32,
    /// The delay before the second attempt; doubles for each following one.
    pub base_delay: Duration,
    pub max_delay: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        Self {
            max_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The delay after failed attempt number `attempt` (1-based).
    pub fn delay_after(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.base_delay.saturating_mul(factor).min(self.max_delay)
    }
}

/// A durable queue bound to some event types.
#[derive(Debug, Clone)]
pub struct Subscription {
    /// The queue's name, e.g. `notifications`; retry and dead-letter queues are named after it.
    pub queue: String,
    pub event_types: Vec<String>,
    /// How many messages may be in flight (unacknowledged) at once.
    pub prefetch: u16,
    pub retry: RetryPolicy,
    /// How long a draining consumer waits for in-flight handlers on shutdown.
    pub drain_timeout: Duration,
}

impl Subscription {
    pub fn new(queue: impl Into<String>, event_types: &[&str]) -> Self {
        Self {
            queue: queue.into(),
            event_types: event_types.iter().map(|t| (*t).to_owned()).collect(),
            prefetch: 16,
            retry: RetryPolicy::default(),
            drain_timeout: Duration::from_secs(10),
        }
    }

    pub fn dead_letter_queue(&self) -> String {
        format!("{}.dlq", self.queue)
    }

    /// Registers this queue's consumer counters at 0, so that "dead letters growing" can be
    /// told apart from "never measured" and `increase()` sees the first dead letter.
    pub(crate) fn register_metrics(&self) {
        for name in [
            "boxoffice_events_consumed_total",
            "boxoffice_events_retried_total",
            "boxoffice_events_dead_lettered_total",
        ] {
            metrics::counter!(name, "queue" => self.queue.clone()).increment(0);
        }
    }
}

/// What becomes of a message after one handling attempt.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disposition {
    Ack,
    /// Re-queue a copy marked as attempt `attempt`, to be delivered after `delay`.
    Retry {
        attempt: u32,
        delay: Duration,
    },
    DeadLetter {
        reason: String,
    },
}

/// The retry decision both adapters share.
pub fn disposition(
    outcome: Result<(), HandleError>,
    attempt: u32,
    policy: &RetryPolicy,
) -> Disposition {
    match outcome {
        Ok(()) => Disposition::Ack,
        Err(HandleError::Permanent(reason)) => Disposition::DeadLetter { reason },
        Err(HandleError::Busy(_)) => Disposition::Retry {
            attempt,
            delay: policy.base_delay,
        },
        Err(HandleError::Transient(reason)) if attempt >= policy.max_attempts => {
            Disposition::DeadLetter {
                reason: format!("gave up after {attempt} attempts: {reason}"),
            }
        }
        Err(HandleError::Transient(_)) => Disposition::Retry {
            attempt: attempt + 1,
            delay: policy.delay_after(attempt),
        },
    }
}

/// A message that was dead-lettered, as the in-process bus keeps it and the RabbitMQ
/// dead-letter queue carries it (reason in the `x-death-reason` header).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeadLetter {
    pub payload: Vec<u8>,
    pub reason: String,
    pub attempts: u32,
}

/// A running consumer.
#[derive(Debug)]
pub struct ConsumerHandle {
    pub(crate) task: JoinHandle<()>,
}

impl ConsumerHandle {
    /// Waits until the consumer stopped (after its shutdown token was cancelled and it drained).
    pub async fn wait(self) {
        if let Err(e) = self.task.await
            && e.is_panic()
        {
            tracing::error!("event consumer panicked");
        }
    }

    /// Stops at once without draining or acknowledging anything, as a crash would: in-flight
    /// handlers are dropped and the connection goes away, so the broker redelivers.
    pub fn abort(&self) {
        self.task.abort();
    }
}

/// The event bus port.
#[async_trait]
pub trait EventBus: Send + Sync + 'static {
    /// Publishes one event; returns once the bus has taken responsibility for it.
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError>;

    /// Publishes several events; `Ok` only when every one of them was taken.
    async fn publish_batch(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        for event in events {
            self.publish(event).await?;
        }
        Ok(())
    }

    /// Declares the subscription's queue and starts consuming it until `shutdown`.
    async fn subscribe(
        &self,
        subscription: Subscription,
        handler: Arc<dyn EventHandler>,
        shutdown: CancellationToken,
    ) -> Result<ConsumerHandle, BusError>;

    /// A cheap check that the bus is reachable, for readiness probes.
    async fn ping(&self) -> Result<(), BusError>;

    /// `"rabbitmq"` or `"in-process"`.
    fn kind(&self) -> &'static str;
}

/// Sleeps for `delay` unless `shutdown` comes first; returns whether it slept the whole time.
pub(crate) async fn sleep_or_shutdown(delay: Duration, shutdown: &CancellationToken) -> bool {
    tokio::select! {
        () = tokio::time::sleep(delay) => true,
        () = shutdown.cancelled() => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 3,
            base_delay: Duration::from_millis(100),
            max_delay: Duration::from_millis(250),
        }
    }

    #[test]
    fn delays_double_up_to_the_cap() {
        let p = policy();
        assert_eq!(p.delay_after(1), Duration::from_millis(100));
        assert_eq!(p.delay_after(2), Duration::from_millis(200));
        assert_eq!(p.delay_after(3), Duration::from_millis(250));
        assert_eq!(p.delay_after(60), Duration::from_millis(250));
    }

    #[test]
    fn a_transient_failure_is_retried_until_the_last_attempt() {
        let p = policy();
        let fail = || Err(HandleError::Transient("smtp down".into()));
        assert_eq!(
            disposition(fail(), 1, &p),
            Disposition::Retry {
                attempt: 2,
                delay: Duration::from_millis(100)
            }
        );
        assert_eq!(
            disposition(fail(), 3, &p),
            Disposition::DeadLetter {
                reason: "gave up after 3 attempts: smtp down".into()
            }
        );
    }

    #[test]
    fn busy_does_not_count_as_an_attempt_and_permanent_goes_straight_to_the_dlq() {
        let p = policy();
        assert!(matches!(
            disposition(Err(HandleError::Busy("claimed".into())), 2, &p),
            Disposition::Retry { attempt: 2, .. }
        ));
        assert!(matches!(
            disposition(Err(HandleError::Permanent("bad".into())), 1, &p),
            Disposition::DeadLetter { .. }
        ));
        assert_eq!(disposition(Ok(()), 1, &p), Disposition::Ack);
    }
}
