//! The in-process event bus, for the embedded all-in-one deployment.
//!
//! Same contract as RabbitMQ, at-least-once, kept without any storage of its own: `publish`
//! returns only after every bound subscription has handled the event (or dead-lettered it).
//! The producer's outbox is therefore the durable queue: an event that was in flight when the
//! process died was never marked published, and the relay publishes it again after a restart.
//! A subscription whose consumer stopped makes `publish` fail, so the relay keeps the event.
//! As with a topic exchange, an event that no subscription is bound to is dropped.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;
use boxoffice_outbox::EventEnvelope;
use boxoffice_telemetry::trace_context;
use tokio::sync::{Semaphore, mpsc, oneshot};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

use crate::bus::{
    BusError, ConsumerHandle, DeadLetter, Disposition, EventBus, EventHandler, Subscription,
    disposition, sleep_or_shutdown,
};
use crate::consume_span;

/// The in-process bus. Clones share the same queues.
#[derive(Clone, Default)]
pub struct InProcessBus {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for InProcessBus {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("InProcessBus").finish_non_exhaustive()
    }
}

#[derive(Default)]
struct Inner {
    queues: Mutex<HashMap<String, Queue>>,
    dead_letters: Mutex<HashMap<String, Vec<DeadLetter>>>,
}

struct Queue {
    /// Tells queues apart when one is replaced by a new subscription with the same name.
    generation: uuid::Uuid,
    event_types: Vec<String>,
    sender: mpsc::UnboundedSender<Message>,
}

struct Message {
    payload: Arc<Vec<u8>>,
    attempt: u32,
    traceparent: Option<String>,
    /// Completed when the message is settled (handled or dead-lettered): the publisher's
    /// confirm. Dropped unsettled when the consumer goes away, which fails the publish.
    settled: Option<oneshot::Sender<()>>,
}

impl InProcessBus {
    pub fn new() -> Self {
        Self::default()
    }

    /// Publishes raw bytes under `event_type`: what a broken producer could send. For tests of
    /// the malformed-message path.
    pub async fn publish_raw(&self, event_type: &str, payload: Vec<u8>) -> Result<(), BusError> {
        let payload = Arc::new(payload);
        let mut waiting = Vec::new();
        {
            let queues = self
                .inner
                .queues
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            for (name, queue) in queues.iter() {
                if !queue.event_types.iter().any(|t| t == event_type) {
                    continue;
                }
                let (settled, confirm) = oneshot::channel();
                let message = Message {
                    payload: payload.clone(),
                    attempt: 1,
                    traceparent: trace_context::outbound_traceparent(),
                    settled: Some(settled),
                };
                if queue.sender.send(message).is_err() {
                    return Err(BusError::ConsumerGone(name.clone()));
                }
                waiting.push((name.clone(), confirm));
            }
        }
        for (name, confirm) in waiting {
            confirm.await.map_err(|_| BusError::ConsumerGone(name))?;
        }
        Ok(())
    }

    /// What was dead-lettered from `queue` so far.
    pub fn dead_letters(&self, queue: &str) -> Vec<DeadLetter> {
        self.inner
            .dead_letters
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(queue)
            .cloned()
            .unwrap_or_default()
    }
}

#[async_trait]
impl EventBus for InProcessBus {
    async fn publish(&self, event: &EventEnvelope) -> Result<(), BusError> {
        let span = crate::publish_span(event);
        self.publish_raw(&event.event_type, serde_json::to_vec(event)?)
            .instrument(span)
            .await
    }

    async fn publish_batch(&self, events: &[EventEnvelope]) -> Result<(), BusError> {
        let results = futures::future::join_all(events.iter().map(|e| self.publish(e))).await;
        results.into_iter().collect()
    }

    async fn subscribe(
        &self,
        subscription: Subscription,
        handler: Arc<dyn EventHandler>,
        shutdown: CancellationToken,
    ) -> Result<ConsumerHandle, BusError> {
        subscription.register_metrics();
        let (sender, receiver) = mpsc::unbounded_channel();
        let generation = uuid::Uuid::now_v7();
        self.inner
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                subscription.queue.clone(),
                Queue {
                    generation,
                    event_types: subscription.event_types.clone(),
                    sender: sender.clone(),
                },
            );
        let registration = Registration {
            inner: self.inner.clone(),
            queue: subscription.queue.clone(),
            generation,
        };
        let task = tokio::spawn(consume(
            registration,
            subscription,
            handler,
            receiver,
            sender,
            shutdown,
        ));
        Ok(ConsumerHandle { task })
    }

    async fn ping(&self) -> Result<(), BusError> {
        Ok(())
    }

    fn kind(&self) -> &'static str {
        "in-process"
    }
}

/// Unbinds the queue when the consumer ends, however it ends (shutdown, abort, panic), so that
/// publishers fail instead of waiting for a consumer that is gone.
struct Registration {
    inner: Arc<Inner>,
    queue: String,
    generation: uuid::Uuid,
}

impl Drop for Registration {
    fn drop(&mut self) {
        let mut queues = self
            .inner
            .queues
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if queues
            .get(&self.queue)
            .is_some_and(|q| q.generation == self.generation)
        {
            queues.remove(&self.queue);
        }
    }
}

async fn consume(
    registration: Registration,
    subscription: Subscription,
    handler: Arc<dyn EventHandler>,
    mut receiver: mpsc::UnboundedReceiver<Message>,
    requeue: mpsc::UnboundedSender<Message>,
    shutdown: CancellationToken,
) {
    let limit = Arc::new(Semaphore::new(usize::from(subscription.prefetch.max(1))));
    let mut in_flight = JoinSet::new();
    loop {
        let permit = tokio::select! {
            () = shutdown.cancelled() => break,
            permit = limit.clone().acquire_owned() => match permit { Ok(p) => p, Err(_) => break },
        };
        let message = tokio::select! {
            () = shutdown.cancelled() => break,
            message = receiver.recv() => match message { Some(m) => m, None => break },
        };
        let context = Context {
            inner: registration.inner.clone(),
            subscription: subscription.clone(),
            handler: handler.clone(),
            requeue: requeue.clone(),
            shutdown: shutdown.clone(),
        };
        in_flight.spawn(async move {
            process(message, context).await;
            drop(permit);
        });
        while in_flight.try_join_next().is_some() {}
    }
    // Unbind first so that nothing new arrives; what is still queued is dropped unsettled and
    // its publisher sees an error (the relay publishes it again later).
    drop(registration);
    let drained = async { while in_flight.join_next().await.is_some() {} };
    if tokio::time::timeout(subscription.drain_timeout, drained)
        .await
        .is_err()
    {
        in_flight.abort_all();
    }
    tracing::info!(queue = %subscription.queue, "in-process event consumer stopped");
}

struct Context {
    inner: Arc<Inner>,
    subscription: Subscription,
    handler: Arc<dyn EventHandler>,
    requeue: mpsc::UnboundedSender<Message>,
    shutdown: CancellationToken,
}

async fn process(mut message: Message, context: Context) {
    let queue = context.subscription.queue.clone();
    metrics::counter!("boxoffice_events_consumed_total", "queue" => queue.clone()).increment(1);
    let decision = match serde_json::from_slice::<EventEnvelope>(&message.payload) {
        Err(e) => Disposition::DeadLetter {
            reason: format!("malformed message: {e}"),
        },
        Ok(event) => {
            let span = consume_span(&queue, &event, message.attempt);
            trace_context::continue_traceparent(&span, message.traceparent.as_deref());
            let outcome = context.handler.handle(&event).instrument(span).await;
            disposition(outcome, message.attempt, &context.subscription.retry)
        }
    };
    match decision {
        Disposition::Ack => settle(&mut message),
        Disposition::DeadLetter { reason } => {
            tracing::error!(queue = %queue, %reason, "event dead-lettered");
            metrics::counter!("boxoffice_events_dead_lettered_total", "queue" => queue.clone())
                .increment(1);
            context
                .inner
                .dead_letters
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .entry(queue)
                .or_default()
                .push(DeadLetter {
                    payload: message.payload.to_vec(),
                    reason,
                    attempts: message.attempt,
                });
            settle(&mut message);
        }
        Disposition::Retry { attempt, delay } => {
            metrics::counter!("boxoffice_events_retried_total", "queue" => queue).increment(1);
            message.attempt = attempt;
            // Waits outside the consumer's concurrency limit, like a message in a retry queue.
            tokio::spawn(async move {
                if sleep_or_shutdown(delay, &context.shutdown).await {
                    let _ = context.requeue.send(message);
                }
            });
        }
    }
}

fn settle(message: &mut Message) {
    if let Some(settled) = message.settled.take() {
        let _ = settled.send(());
    }
}
