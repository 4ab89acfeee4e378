//! The RabbitMQ adapter against the real broker, one vhost per test.

mod common;

use std::sync::Arc;
use std::time::Duration;

use boxoffice_events::testing::TestVhost;
use boxoffice_events::{EventBus, RabbitBus};
use common::{Recorder, eventually, subscription, user_event};
use lapin::options::BasicPublishOptions;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn rabbitmq_delivers_every_event_with_its_trace() {
    let vhost = TestVhost::create().await.expect("vhost");
    common::delivers_every_event_with_its_trace(Arc::new(RabbitBus::new(vhost.url.clone()))).await;
}

#[tokio::test]
async fn rabbitmq_dead_letters_failures_with_a_reason() {
    let vhost = TestVhost::create().await.expect("vhost");
    let url = vhost.url.clone();
    common::dead_letters_failures_with_a_reason(
        Arc::new(RabbitBus::new(vhost.url.clone())),
        async move |bytes: &[u8]| {
            let connection = Connection::connect(&url, ConnectionProperties::default()).await.expect("connect");
            let channel = connection.create_channel().await.expect("channel");
            channel
                .basic_publish(
                    "boxoffice.events".into(),
                    "user.registered".into(),
                    BasicPublishOptions::default(),
                    bytes,
                    BasicProperties::default(),
                )
                .await
                .expect("publish")
                .await
                .expect("confirm");
            connection.close(200, "bye".into()).await.expect("close");
        },
        || {
            let vhost = &vhost;
            async move {
                // Taking them out keeps them: collect into a cache across polls.
                thread_local! { static SEEN: std::cell::RefCell<Vec<(String, Option<u32>)>> = const { std::cell::RefCell::new(Vec::new()) }; }
                let fresh = vhost.drain("contract.dlq").await.expect("dlq");
                SEEN.with(|seen| {
                    let mut seen = seen.borrow_mut();
                    seen.extend(fresh.into_iter().map(|m| (m.reason.unwrap_or_default(), m.attempts)));
                    seen.clone()
                })
            }
        },
    )
    .await;
}

#[tokio::test]
async fn the_consumer_reconnects_after_the_broker_closes_its_connections() {
    let vhost = TestVhost::create().await.expect("vhost");
    let bus = RabbitBus::new(vhost.url.clone());
    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let consumer = bus
        .subscribe(subscription("q"), recorder.clone(), shutdown.clone())
        .await
        .expect("subscribe");
    let first = user_event("first@example.com");
    eventually(Duration::from_secs(10), "first event consumed", || async {
        if recorder.calls_for(first.id) == 0 {
            let _ = bus.publish(&first).await;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        recorder.calls_for(first.id) > 0
    })
    .await;

    vhost.close_connections().await.expect("close connections");
    let after: Vec<_> = (0..10)
        .map(|i| user_event(&format!("after{i}@example.com")))
        .collect();
    // The publisher reconnects too: retry until the broker confirms.
    eventually(
        Duration::from_secs(20),
        "events published after the cut",
        || async { bus.publish_batch(&after).await.is_ok() },
    )
    .await;
    eventually(
        Duration::from_secs(20),
        "events consumed after the reconnect",
        || async { after.iter().all(|e| recorder.calls_for(e.id) >= 1) },
    )
    .await;
    shutdown.cancel();
    consumer.wait().await;
}

#[tokio::test]
async fn events_published_before_the_consumer_starts_wait_in_its_declared_queue() {
    let vhost = TestVhost::create().await.expect("vhost");
    let bus = RabbitBus::new(vhost.url.clone());
    bus.declare_subscription(&subscription("q"))
        .await
        .expect("declare");
    let events: Vec<_> = (0..5)
        .map(|i| user_event(&format!("early{i}@example.com")))
        .collect();
    bus.publish_batch(&events).await.expect("publish");
    assert_eq!(vhost.ready_messages("q").await.expect("depth"), 5);

    let recorder = Arc::new(Recorder::default());
    let shutdown = CancellationToken::new();
    let consumer = bus
        .subscribe(subscription("q"), recorder.clone(), shutdown.clone())
        .await
        .expect("subscribe");
    eventually(
        Duration::from_secs(10),
        "the early events consumed",
        || async { events.iter().all(|e| recorder.calls_for(e.id) == 1) },
    )
    .await;
    shutdown.cancel();
    consumer.wait().await;
    eventually(Duration::from_secs(5), "all acknowledged", || async {
        vhost.ready_messages("q").await.expect("depth") == 0
    })
    .await;
}
