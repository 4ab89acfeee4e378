//! Poison messages go to the dead-letter queue with a reason; the consumer keeps going.

mod support;

use std::time::Duration;

use boxoffice_events::EventEnvelope;
use boxoffice_events::payloads::EventPayload;
use lapin::options::BasicPublishOptions;
use lapin::{BasicProperties, Connection, ConnectionProperties};
use support::{Harness, eventually, redis_url, user_registered};

async fn publish_raw(url: &str, routing_key: &str, body: &[u8]) {
    let connection = Connection::connect(url, ConnectionProperties::default())
        .await
        .expect("connect");
    let channel = connection.create_channel().await.expect("channel");
    channel
        .basic_publish(
            "boxoffice.events".into(),
            routing_key.into(),
            BasicPublishOptions::default(),
            body,
            BasicProperties::default(),
        )
        .await
        .expect("publish")
        .await
        .expect("confirm");
    connection.close(200, "bye".into()).await.expect("close");
}

#[tokio::test]
async fn malformed_invalid_and_undeliverable_events_are_dead_lettered_with_a_reason() {
    let harness = Harness::new().await;
    harness.sink.reject_recipients_containing("bounce");
    let (running, shutdown) = harness.start(harness.ports(&redis_url())).await;

    publish_raw(
        &harness.vhost.url,
        "user.registered",
        b"\x00 not an event at all",
    )
    .await;
    let invalid = EventEnvelope::new(
        "booking.confirmed",
        serde_json::json!({"booking_id": "nope"}),
    )
    .expect("envelope");
    publish_raw(
        &harness.vhost.url,
        "booking.confirmed",
        &serde_json::to_vec(&invalid).expect("json"),
    )
    .await;
    let mut bouncing = user_registered(1);
    bouncing.data["email"] = "bounce@example.com".into();
    let good = user_registered(2);
    let bus = harness.bus();
    boxoffice_events::EventBus::publish_batch(bus.as_ref(), &[bouncing.clone(), good.clone()])
        .await
        .expect("publish");

    eventually(
        Duration::from_secs(20),
        "the good event is emailed",
        || async { harness.sink.count() == 1 },
    )
    .await;
    eventually(Duration::from_secs(20), "three dead letters", || async {
        harness
            .vhost
            .ready_messages("notifications.dlq")
            .await
            .expect("dlq")
            >= 3
    })
    .await;
    let dead = harness.vhost.drain("notifications.dlq").await.expect("dlq");
    let reasons: Vec<String> = dead
        .iter()
        .map(|m| m.reason.clone().unwrap_or_default())
        .collect();
    assert!(
        reasons.iter().any(|r| r.starts_with("malformed message:")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.starts_with("invalid event data:")),
        "{reasons:?}"
    );
    let bounced = dead
        .iter()
        .find(|m| m.body == serde_json::to_vec(&bouncing).expect("json"))
        .expect("the undeliverable event is in the DLQ");
    let reason = bounced.reason.clone().unwrap_or_default();
    assert!(
        reason.starts_with("gave up after 3 attempts:") && reason.contains("451"),
        "{reason}"
    );
    assert_eq!(bounced.attempts, Some(3));
    let sent = harness.sent_rows().await;
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].event_id, good.id);
    assert!(boxoffice_events::payloads::UserRegistered::from_envelope(&good).is_ok());
    let metrics = reqwest::get(format!("http://{}/metrics", running.http_addr))
        .await
        .expect("metrics")
        .text()
        .await
        .expect("text");
    for series in [
        "events_dead_lettered_total{queue=\"notifications\"} 3",
        "events_retried_total{queue=\"notifications\"} 2",
    ] {
        assert!(metrics.contains(series), "{series} in {metrics}");
    }
    shutdown.cancel();
    running.wait().await;
}
