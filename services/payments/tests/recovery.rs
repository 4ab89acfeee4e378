//! Crashes between the processor charging and our record committing, recovered on restart.

mod common;

use common::*;
use serde_json::json;
use uuid::Uuid;

on_both_engines!(
    a_crash_after_the_processor_charged_is_recovered_on_restart_charging_once,
    a_request_that_never_reached_the_processor_is_settled_without_a_charge,
    a_retry_after_an_unknown_outcome_resumes_without_charging_twice,
    a_crash_after_the_processor_refunded_is_recovered_on_restart_refunding_once,
    a_refund_that_never_reached_the_processor_is_settled_and_releases_its_amount,
);

async fn a_crash_after_the_processor_charged_is_recovered_on_restart_charging_once(engine: Engine) {
    let url = fresh_url(engine).await;
    let mut crashing = settings();
    crashing.processor.crash_after_charge = true;
    let app = TestApp::spawn_with(url.clone(), crashing).await;
    let key = new_key();
    let booking = Uuid::now_v7();
    let body = payment_body(booking, 3_000, VISA_OK);

    let crashed = app.pay(Some(&key), &body).await;
    crashed.assert_problem(500);
    // The bank charged; we recorded nothing beyond the claim.
    assert_eq!(bank(&url).await.succeeded_charges().await.expect("bank"), 1);
    let db = database(&url).await;
    assert_eq!(count(&db, "ledger_entries").await, 0);
    assert_eq!(count(&db, "outbox").await, 0);
    // While the dead request's lock lasts, a retry is told the work is in flight.
    app.pay(Some(&key), &body).await.assert_problem(409);
    let url = app.stop().await;

    // Restart; the startup recovery pass settles the key (0 ms: no other instance exists).
    let mut restarted = settings();
    restarted.recover_after_ms = 0;
    let app = TestApp::spawn_with(url.clone(), restarted).await;

    let listed = app
        .get(&format!("/api/v1/payments?booking_id={booking}"))
        .await;
    let payments = listed.body["data"].as_array().expect("list").clone();
    assert_eq!(payments.len(), 1, "{listed:?}");
    assert_eq!(payments[0]["status"], "succeeded");
    assert_eq!(payments[0]["amount"], 3_000);

    let retry = app.pay(Some(&key), &body).await;
    assert_eq!(retry.status, 201);
    assert!(retry.replayed);
    assert_eq!(retry.body["status"], "succeeded");
    assert_eq!(retry.body["id"], payments[0]["id"]);

    assert_eq!(bank(&url).await.succeeded_charges().await.expect("bank"), 1);
    assert_eq!(count(&db, "ledger_entries").await, 1);
    assert_eq!(outbox_types(&db).await, ["payment.captured"]);
    assert_audit_clean(&db).await;
}

async fn a_request_that_never_reached_the_processor_is_settled_without_a_charge(engine: Engine) {
    let url = fresh_url(engine).await;
    let mut failing = settings();
    failing.processor.failure_rate = 1.0;
    let app = TestApp::spawn_with(url.clone(), failing).await;
    let key = new_key();
    let body = payment_body(Uuid::now_v7(), 1_500, VISA_OK);

    let unknown = app.pay(Some(&key), &body).await;
    unknown.assert_problem(503);
    assert_eq!(unknown.body["code"], "upstream_unavailable");
    let url = app.stop().await;

    let mut restarted = settings();
    restarted.recover_after_ms = 0;
    let app = TestApp::spawn_with(url.clone(), restarted).await;
    let replay = app.pay(Some(&key), &body).await;
    assert_eq!(replay.status, 201);
    assert_eq!(replay.body["status"], "failed");
    assert_eq!(replay.body["decline_code"], "processing_error");
    assert_eq!(bank(&url).await.succeeded_charges().await.expect("bank"), 0);
    assert_audit_clean(&database(&url).await).await;
}

async fn a_retry_after_an_unknown_outcome_resumes_without_charging_twice(engine: Engine) {
    let url = fresh_url(engine).await;
    let mut failing = settings();
    failing.processor.failure_rate = 1.0;
    let app = TestApp::spawn_with(url.clone(), failing).await;
    let key = new_key();
    let body = payment_body(Uuid::now_v7(), 1_500, VISA_OK);
    app.pay(Some(&key), &body).await.assert_problem(503);
    let url = app.stop().await;

    // The processor is back; the client retries with its key before any recovery pass ran.
    let app = TestApp::spawn_with(url.clone(), settings()).await;
    let retry = app.pay(Some(&key), &body).await;
    assert_eq!(retry.status, 201, "{retry:?}");
    assert_eq!(retry.body["status"], "succeeded");
    assert!(!retry.replayed);
    let again = app.pay(Some(&key), &body).await;
    assert_eq!(again.body, retry.body);
    let db = database(&url).await;
    assert_eq!(count(&db, "payments").await, 1);
    assert_eq!(bank(&url).await.succeeded_charges().await.expect("bank"), 1);
    assert_audit_clean(&db).await;
}

async fn a_crash_after_the_processor_refunded_is_recovered_on_restart_refunding_once(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let payment = app
        .pay(
            Some(&new_key()),
            &payment_body(Uuid::now_v7(), 2_000, VISA_OK),
        )
        .await
        .id();
    let url = app.stop().await;

    let mut crashing = settings();
    crashing.processor.crash_after_refund = true;
    let app = TestApp::spawn_with(url.clone(), crashing).await;
    let key = new_key();
    let body = json!({"amount": 700});
    app.refund(&payment, &key, &body).await.assert_problem(500);
    assert_eq!(bank(&url).await.refunded_total().await.expect("bank"), 700);
    let url = app.stop().await;

    let mut restarted = settings();
    restarted.recover_after_ms = 0;
    let app = TestApp::spawn_with(url.clone(), restarted).await;
    let state = app.get(&format!("/api/v1/payments/{payment}")).await;
    assert_eq!(state.body["amount_refunded"], 700);
    let retry = app.refund(&payment, &key, &body).await;
    assert_eq!(retry.status, 201);
    assert!(retry.replayed);
    assert_eq!(retry.body["status"], "succeeded");

    assert_eq!(bank(&url).await.refunded_total().await.expect("bank"), 700);
    let db = database(&url).await;
    assert_eq!(
        outbox_types(&db).await,
        ["payment.captured", "payment.refunded"]
    );
    let report = assert_audit_clean(&db).await;
    assert_eq!((report.charged, report.refunded), (2_000, 700));
}

async fn a_refund_that_never_reached_the_processor_is_settled_and_releases_its_amount(
    engine: Engine,
) {
    let app = TestApp::spawn(engine).await;
    let payment = app
        .pay(
            Some(&new_key()),
            &payment_body(Uuid::now_v7(), 2_000, VISA_OK),
        )
        .await
        .id();
    let url = app.stop().await;

    let mut failing = settings();
    failing.processor.failure_rate = 1.0;
    let app = TestApp::spawn_with(url.clone(), failing).await;
    let key = new_key();
    app.refund(&payment, &key, &json!({}))
        .await
        .assert_problem(503);
    let url = app.stop().await;

    let mut restarted = settings();
    restarted.recover_after_ms = 0;
    let app = TestApp::spawn_with(url.clone(), restarted).await;
    let settled = app.refund(&payment, &key, &json!({})).await;
    assert_eq!(settled.body["status"], "failed");
    // The failed refund no longer reserves its amount: a new one can take all of it.
    let full = app.refund(&payment, &new_key(), &json!({})).await;
    assert_eq!(full.status, 201);
    assert_eq!(full.body["amount"], 2_000);
    assert_eq!(
        bank(&url).await.refunded_total().await.expect("bank"),
        2_000
    );
    assert_audit_clean(&database(&url).await).await;
}
