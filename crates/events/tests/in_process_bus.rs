//! The in-process bus against the bus contract, plus what is particular to it.

mod common;

use std::sync::Arc;
use std::time::Duration;

use boxoffice_events::{BusError, EventBus, InProcessBus};
use common::{Recorder, eventually, subscription, user_event};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn the_in_process_bus_delivers_every_event_with_its_trace() {
    common::delivers_every_event_with_its_trace(Arc::new(InProcessBus::new())).await;
}

#[tokio::test]
async fn the_in_process_bus_dead_letters_failures_with_a_reason() {
    let bus = InProcessBus::new();
    let raw = bus.clone();
    let dead = bus.clone();
    common::dead_letters_failures_with_a_reason(
        Arc::new(bus),
        async move |bytes: &[u8]| {
            raw.publish_raw("user.registered", bytes.to_vec())
                .await
                .expect("raw")
        },
        move || {
            let dead = dead.clone();
            async move {
                dead.dead_letters("contract")
                    .into_iter()
                    .map(|d| (d.reason, Some(d.attempts)))
                    .collect()
            }
        },
    )
    .await;
}

#[tokio::test]
async fn publish_returns_only_once_the_event_was_handled() {
    let bus = InProcessBus::new();
    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let consumer = bus
        .subscribe(subscription("q"), recorder.clone(), shutdown.clone())
        .await
        .expect("subscribe");
    let event = user_event("a@example.com");
    bus.publish(&event).await.expect("publish");
    assert_eq!(recorder.calls_for(event.id), 1);
    shutdown.cancel();
    consumer.wait().await;
}

#[tokio::test]
async fn publish_fails_when_the_consumer_died_so_the_outbox_keeps_the_event() {
    let bus = InProcessBus::new();
    let recorder = Arc::new(Recorder::default());
    let consumer = bus
        .subscribe(
            subscription("q"),
            recorder.clone(),
            CancellationToken::new(),
        )
        .await
        .expect("subscribe");
    // A failing event keeps its publisher waiting through the retries; the crash ends it.
    let failing = user_event("fail@example.com");
    let publisher = bus.clone();
    let pending = tokio::spawn(async move { publisher.publish(&failing).await });
    eventually(Duration::from_secs(5), "the first attempt", || async {
        !recorder.ids().is_empty()
    })
    .await;
    consumer.abort();
    let outcome = pending.await.expect("join");
    assert!(
        matches!(outcome, Err(BusError::ConsumerGone(_))),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn an_event_no_queue_is_bound_to_is_dropped_like_on_a_topic_exchange() {
    let bus = InProcessBus::new();
    bus.publish(&user_event("nobody@example.com"))
        .await
        .expect("publish");
}
