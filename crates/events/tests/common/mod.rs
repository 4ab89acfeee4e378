//! What both adapters must do, written once and run against each.
#![allow(dead_code)]

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use boxoffice_events::payloads::{EventPayload, UserRegistered};
use boxoffice_events::{
    EventBus, EventEnvelope, EventHandler, HandleError, RetryPolicy, Subscription,
};
use boxoffice_telemetry::trace_context;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

/// Records every call; fails the events whose recipient starts with `fail`.
#[derive(Default)]
pub struct Recorder {
    pub calls: Mutex<Vec<(Uuid, Option<String>)>>,
}

impl Recorder {
    pub fn ids(&self) -> Vec<Uuid> {
        self.calls
            .lock()
            .expect("lock")
            .iter()
            .map(|(id, _)| *id)
            .collect()
    }

    pub fn calls_for(&self, id: Uuid) -> usize {
        self.ids().iter().filter(|i| **i == id).count()
    }

    pub fn trace_of(&self, id: Uuid) -> Option<String> {
        self.calls
            .lock()
            .expect("lock")
            .iter()
            .find(|(i, _)| *i == id)
            .and_then(|(_, t)| t.clone())
    }
}

#[async_trait]
impl EventHandler for Recorder {
    async fn handle(&self, event: &EventEnvelope) -> Result<(), HandleError> {
        let trace = trace_context::current_trace_id();
        self.calls.lock().expect("lock").push((event.id, trace));
        let email = event
            .data
            .get("email")
            .and_then(|e| e.as_str())
            .unwrap_or("");
        if email.starts_with("fail") {
            return Err(HandleError::Transient("the handler keeps failing".into()));
        }
        Ok(())
    }
}

pub fn user_event(email: &str) -> EventEnvelope {
    UserRegistered {
        user_id: Uuid::now_v7(),
        email: email.to_owned(),
        name: "Test User".to_owned(),
        phone: None,
    }
    .to_envelope()
    .expect("envelope")
}

pub fn subscription(queue: &str) -> Subscription {
    let mut subscription = Subscription::new(queue, &["user.registered"]);
    subscription.retry = RetryPolicy {
        max_attempts: 3,
        base_delay: Duration::from_millis(50),
        max_delay: Duration::from_millis(200),
    };
    subscription.prefetch = 8;
    subscription
}

/// Polls `condition` every 20 ms until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Contract: every published event reaches the handler, with the publisher's trace.
pub async fn delivers_every_event_with_its_trace(bus: Arc<dyn EventBus>) {
    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let consumer = bus
        .subscribe(subscription("contract"), recorder.clone(), shutdown.clone())
        .await
        .expect("subscribe");
    boxoffice_telemetry::init_for_tests();
    let trace = tracing::info_span!("publisher");
    let events: Vec<EventEnvelope> = (0..20)
        .map(|i| user_event(&format!("u{i}@example.com")))
        .collect();
    // The RabbitMQ queue is declared by the consumer: publish once it exists.
    eventually(
        Duration::from_secs(10),
        "the first event is consumed",
        || {
            let bus = bus.clone();
            let recorder = recorder.clone();
            let first = events[0].clone();
            let trace = trace.clone();
            async move {
                if recorder.calls_for(first.id) == 0 {
                    let _ = bus.publish(&first).instrument(trace).await;
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                recorder.calls_for(first.id) > 0
            }
        },
    )
    .await;
    bus.publish_batch(&events[1..])
        .instrument(trace.clone())
        .await
        .expect("publish");
    eventually(Duration::from_secs(10), "all events consumed", || async {
        events.iter().all(|e| recorder.calls_for(e.id) >= 1)
    })
    .await;
    assert_eq!(
        recorder.trace_of(events[5].id),
        trace_context::trace_id_of(&trace)
    );
    assert!(trace_context::trace_id_of(&trace).is_some());
    shutdown.cancel();
    consumer.wait().await;
}

/// Contract: a failing event is retried up to the limit then dead-lettered with its reason,
/// a malformed one goes straight to the dead letters, and the consumer keeps going.
pub async fn dead_letters_failures_with_a_reason<P, D, DFut>(
    bus: Arc<dyn EventBus>,
    publish_raw: P,
    dead_letters: D,
) where
    P: AsyncFnOnce(&[u8]),
    D: Fn() -> DFut,
    DFut: Future<Output = Vec<(String, Option<u32>)>>,
{
    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let consumer = bus
        .subscribe(subscription("contract"), recorder.clone(), shutdown.clone())
        .await
        .expect("subscribe");
    let warm_up = user_event("warm-up@example.com");
    eventually(Duration::from_secs(10), "the consumer is bound", || {
        let bus = bus.clone();
        let recorder = recorder.clone();
        let warm_up = warm_up.clone();
        async move {
            if recorder.calls_for(warm_up.id) == 0 {
                let _ = bus.publish(&warm_up).await;
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
            recorder.calls_for(warm_up.id) > 0
        }
    })
    .await;

    let failing = user_event("fail@example.com");
    let good = user_event("good@example.com");
    let bus_for_failing = bus.clone();
    let failing_for_task = failing.clone();
    // In-process publish waits until the event is settled: publish the failing one aside.
    let pending = tokio::spawn(async move { bus_for_failing.publish(&failing_for_task).await });
    publish_raw(b"{ this is not json").await;
    bus.publish(&good).await.expect("publish good");
    eventually(
        Duration::from_secs(10),
        "the good event after the poison",
        || async { recorder.calls_for(good.id) == 1 },
    )
    .await;
    eventually(Duration::from_secs(10), "two dead letters", || async {
        dead_letters().await.len() >= 2
    })
    .await;
    pending
        .await
        .expect("join")
        .expect("the failing event was taken");
    let dead: HashMap<String, Option<u32>> = dead_letters().await.into_iter().collect();
    assert_eq!(
        recorder.calls_for(failing.id),
        3,
        "tried max_attempts times"
    );
    assert!(
        dead.keys()
            .any(|r| r == "gave up after 3 attempts: the handler keeps failing"),
        "{dead:?}"
    );
    assert!(
        dead.keys().any(|r| r.starts_with("malformed message")),
        "{dead:?}"
    );
    shutdown.cancel();
    consumer.wait().await;
}
