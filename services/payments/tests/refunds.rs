//! Refunds: partial, full, concurrent, idempotent; the ledger balances after each.

mod common;

use common::*;
use futures::future::join_all;
use serde_json::json;
use uuid::Uuid;

on_both_engines!(
    ten_concurrent_partial_refunds_never_exceed_the_charge,
    a_full_refund_takes_what_is_left_and_then_nothing_more,
    a_refund_retried_with_its_key_refunds_once,
    only_succeeded_payments_can_be_refunded,
    a_refund_of_an_unknown_payment_is_not_found,
    the_audit_reports_a_payment_that_disagrees_with_the_ledger,
);

async fn paid(app: &TestApp, amount: i64) -> String {
    let reply = app
        .pay(
            Some(&new_key()),
            &payment_body(Uuid::now_v7(), amount, VISA_OK),
        )
        .await;
    assert_eq!(reply.body["status"], "succeeded", "{reply:?}");
    reply.id()
}

async fn ten_concurrent_partial_refunds_never_exceed_the_charge(engine: Engine) {
    let mut settings = settings();
    settings.processor.latency_ms = 50;
    let app = TestApp::spawn_with(fresh_url(engine).await, settings).await;
    let payment = paid(&app, 1_000).await;

    // 10 × 150 = 1 500 asked of a 1 000 charge.
    let keys: Vec<String> = (0..10).map(|_| new_key()).collect();
    let body = json!({"amount": 150, "reason": "requested_by_customer"});
    let replies = join_all(keys.iter().map(|key| app.refund(&payment, key, &body))).await;

    let succeeded = replies.iter().filter(|r| r.status == 201).count();
    let refused: Vec<_> = replies.iter().filter(|r| r.status == 422).collect();
    assert_eq!(succeeded, 6, "{replies:?}");
    assert_eq!(refused.len(), 4, "{replies:?}");
    for reply in refused {
        reply.assert_problem(422);
        assert_eq!(reply.body["reason"], "refund_exceeds_charge");
    }
    let state = app.get(&format!("/api/v1/payments/{payment}")).await;
    assert_eq!(state.body["amount_refunded"], 900);

    let db = app.database().await;
    let report = assert_audit_clean(&db).await;
    assert_eq!((report.charged, report.refunded), (1_000, 900));
    let audit = app.get("/api/v1/ledger/audit").await;
    assert_eq!(audit.body["ok"], true, "{audit:?}");
    assert_eq!(audit.body["net"], 100);
    assert_eq!(
        bank(&app.url).await.refunded_total().await.expect("bank"),
        900
    );
    assert_eq!(
        count(&db, "refunds").await,
        6,
        "refused refunds store nothing"
    );
    let events = outbox_types(&db).await;
    assert_eq!(
        events.iter().filter(|t| *t == "payment.refunded").count(),
        6
    );
}

async fn a_full_refund_takes_what_is_left_and_then_nothing_more(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let payment = paid(&app, 2_000).await;
    let partial = app
        .refund(&payment, &new_key(), &json!({"amount": 500}))
        .await;
    assert_eq!(partial.status, 201);
    assert_eq!(partial.body["status"], "succeeded");

    let rest = app.refund(&payment, &new_key(), &json!({})).await;
    assert_eq!(rest.status, 201, "{rest:?}");
    assert_eq!(rest.body["amount"], 1_500);
    assert_eq!(rest.body["currency"], "EUR");

    let more = app
        .refund(&payment, &new_key(), &json!({"amount": 1}))
        .await;
    more.assert_problem(422);
    assert_eq!(more.body["refundable"], 0);
    let report = assert_audit_clean(&app.database().await).await;
    assert_eq!(report.charged - report.refunded, 0);
}

async fn a_refund_retried_with_its_key_refunds_once(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let payment = paid(&app, 1_000).await;
    let key = new_key();
    let first = app.refund(&payment, &key, &json!({"amount": 300})).await;
    let second = app.refund(&payment, &key, &json!({"amount": 300})).await;
    assert_eq!(first.status, 201);
    assert!(second.replayed);
    assert_eq!(first.body, second.body);
    let changed = app.refund(&payment, &key, &json!({"amount": 301})).await;
    changed.assert_problem(422);
    assert_eq!(
        bank(&app.url).await.refunded_total().await.expect("bank"),
        300
    );
    assert_audit_clean(&app.database().await).await;
}

async fn only_succeeded_payments_can_be_refunded(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let declined = app
        .pay(
            Some(&new_key()),
            &payment_body(Uuid::now_v7(), 1_000, VISA_DECLINED),
        )
        .await;
    let reply = app.refund(&declined.id(), &new_key(), &json!({})).await;
    reply.assert_problem(409);
    assert_eq!(reply.body["reason"], "payment_not_refundable");
    let zero = app
        .refund(&declined.id(), &new_key(), &json!({"amount": 0}))
        .await;
    zero.assert_problem(422);
    assert_eq!(count(&app.database().await, "refunds").await, 0);
}

async fn a_refund_of_an_unknown_payment_is_not_found(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let reply = app
        .refund(&Uuid::now_v7().to_string(), &new_key(), &json!({}))
        .await;
    reply.assert_problem(404);
    let db = app.database().await;
    assert_eq!(count(&db, "idempotency_keys").await, 0);
}

async fn the_audit_reports_a_payment_that_disagrees_with_the_ledger(engine: Engine) {
    let app = TestApp::spawn(engine).await;
    let payment = paid(&app, 1_000).await;
    let clean = app.get("/api/v1/ledger/audit").await;
    assert_eq!(clean.body["ok"], true);

    // Tamper behind the service's back: the payment row now claims a refund the ledger lacks.
    let sql = "UPDATE payments SET amount_refunded = 10";
    match app.database().await {
        boxoffice_store::Database::Postgres(pool) => {
            sqlx::query(sql).execute(&pool).await.map(|_| ())
        }
        boxoffice_store::Database::Sqlite(pool) => {
            sqlx::query(sql).execute(&pool).await.map(|_| ())
        }
    }
    .expect("tamper");
    let audit = app.get("/api/v1/ledger/audit").await;
    assert_eq!(audit.body["ok"], false);
    let violations = audit.body["violations"].as_array().expect("violations");
    assert_eq!(violations.len(), 1, "{audit:?}");
    assert_eq!(violations[0]["payment_id"], payment.as_str());
}
