//! Health, readiness and metrics.

mod support;

use std::time::Duration;

use support::{Harness, eventually, redis_url, user_registered};

#[tokio::test]
async fn health_readiness_and_metrics_answer() {
    let harness = Harness::new().await;
    let (running, shutdown) = harness.start(harness.ports(&redis_url())).await;
    let base = format!("http://{}", running.http_addr);

    let health = reqwest::get(format!("{base}/healthz"))
        .await
        .expect("healthz");
    assert_eq!(health.status(), 200);
    let ready = reqwest::get(format!("{base}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(ready.status(), 200);
    let body: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(body["checks"]["event_bus"], "ok");
    assert_eq!(body["checks"]["idempotency"], "ok");

    let event = user_registered(1);
    let bus = harness.bus();
    boxoffice_events::EventBus::publish_batch(bus.as_ref(), &[event.clone(), event])
        .await
        .expect("publish");
    eventually(
        Duration::from_secs(20),
        "sent and the duplicate skipped",
        || async {
            let metrics = reqwest::get(format!("{base}/metrics"))
                .await
                .expect("metrics")
                .text()
                .await
                .expect("text");
            metrics.contains("notifications_sent_total")
                && metrics.contains("notifications_duplicates_skipped_total")
                && metrics.contains("events_consumed_total")
        },
    )
    .await;
    assert_eq!(harness.sink.count(), 1);
    shutdown.cancel();
    running.wait().await;
}
