//! Stripe's Idempotency-Key semantics, end to end over HTTP, on both engines.

mod common;

use boxoffice_payments::service::{Limits, Payments};
use common::*;
use futures::future::join_all;
use serde_json::Value;
use uuid::Uuid;

on_both_engines!(
    twenty_concurrent_requests_with_one_key_charge_once_and_answer_alike,
    the_same_key_with_a_different_amount_is_refused_and_charges_nothing,
    a_decline_is_stored_and_replayed_for_the_same_key,
    a_key_used_for_a_payment_cannot_be_reused_for_a_refund,
    finished_keys_are_kept_for_the_retention_period_then_purged,
);

async fn twenty_concurrent_requests_with_one_key_charge_once_and_answer_alike(engine: Engine) {
    let mut settings = settings();
    // Slow enough that the twenty requests overlap the first one's processor call.
    settings.processor.latency_ms = 300;
    let app = TestApp::spawn_with(fresh_url(engine).await, settings).await;
    let key = new_key();
    let body = payment_body(Uuid::now_v7(), 4_250, VISA_OK);

    let replies = join_all((0..20).map(|_| app.pay(Some(&key), &body))).await;

    let created: Vec<_> = replies.iter().filter(|r| r.status == 201).collect();
    let in_flight = replies.iter().filter(|r| r.status == 409).count();
    assert_eq!(created.len() + in_flight, 20, "{replies:?}");
    assert!(!created.is_empty(), "one request must have done the work");
    for reply in &replies {
        if reply.status == 409 {
            reply.assert_problem(409);
            assert_eq!(reply.body["code"], "idempotency_key_in_use");
        }
    }
    let first = &created[0].body;
    assert!(created.iter().all(|r| &r.body == first), "{created:?}");
    assert_eq!(first["status"], "succeeded");

    // Once the work is done, a retry gets the stored answer.
    let after = app.pay(Some(&key), &body).await;
    assert_eq!(after.status, 201);
    assert!(after.replayed);
    assert_eq!(&after.body, first);

    let db = app.database().await;
    assert_eq!(count(&db, "payments").await, 1);
    assert_eq!(
        bank(&app.url)
            .await
            .succeeded_charges()
            .await
            .expect("bank"),
        1
    );
    assert_eq!(outbox_types(&db).await, ["payment.captured"]);
    assert_audit_clean(&db).await;
}

async fn the_same_key_with_a_different_amount_is_refused_and_charges_nothing(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = new_key();
    let booking = Uuid::now_v7();
    let first = app
        .pay(Some(&key), &payment_body(booking, 1_000, VISA_OK))
        .await;
    assert_eq!(first.status, 201);

    let other = app
        .pay(Some(&key), &payment_body(booking, 2_000, VISA_OK))
        .await;
    other.assert_problem(422);
    assert_eq!(other.body["reason"], "idempotency_key_reused");

    let db = app.database().await;
    assert_eq!(count(&db, "payments").await, 1);
    assert_eq!(
        bank(&app.url)
            .await
            .succeeded_charges()
            .await
            .expect("bank"),
        1
    );
    let again = app
        .pay(Some(&key), &payment_body(booking, 1_000, VISA_OK))
        .await;
    assert_eq!(again.body, first.body);
}

async fn a_decline_is_stored_and_replayed_for_the_same_key(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = new_key();
    let body = payment_body(Uuid::now_v7(), 1_000, VISA_DECLINED);
    let first = app.pay(Some(&key), &body).await;
    assert_eq!(first.status, 201);
    assert_eq!(first.body["status"], "declined");
    assert!(!first.replayed);

    let second = app.pay(Some(&key), &body).await;
    assert_eq!(second.status, 201);
    assert!(second.replayed);
    assert_eq!(second.body, first.body);
    assert_eq!(count(&app.database().await, "simproc_charges").await, 1);
}

async fn a_key_used_for_a_payment_cannot_be_reused_for_a_refund(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = new_key();
    let paid = app
        .pay(Some(&key), &payment_body(Uuid::now_v7(), 1_000, VISA_OK))
        .await;
    let refund = app.refund(&paid.id(), &key, &serde_json::json!({})).await;
    refund.assert_problem(422);
    assert_eq!(refund.body["reason"], "idempotency_key_reused");
    assert_eq!(count(&app.database().await, "refunds").await, 0);
}

async fn finished_keys_are_kept_for_the_retention_period_then_purged(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let key = new_key();
    let body = payment_body(Uuid::now_v7(), 1_000, VISA_OK);
    let first = app.pay(Some(&key), &body).await;
    let db = app.database().await;
    let payments = Payments::new(
        boxoffice_payments::store::for_database(&db),
        std::sync::Arc::new(bank(&app.url).await),
        Limits {
            max_amount: 1,
            processor_timeout: std::time::Duration::from_secs(1),
            lock_timeout: std::time::Duration::from_secs(2),
        },
    );

    let day = std::time::Duration::from_secs(24 * 3600);
    assert_eq!(payments.purge_keys(day).await.expect("purge"), 0);
    assert_eq!(app.pay(Some(&key), &body).await.body, first.body);

    // A retention that ends in the future stands for the key being older than the retention.
    let purged = payments
        .store()
        .purge_keys(chrono::Utc::now() + chrono::TimeDelta::seconds(1))
        .await
        .expect("purge");
    assert_eq!(purged, 1);
    assert_eq!(count(&db, "idempotency_keys").await, 0);
    // The payment itself stays: only the key's memory is gone.
    let payment = app.get(&format!("/api/v1/payments/{}", first.id())).await;
    assert_eq!(payment.body["status"], Value::from("succeeded"));
}
