//! The store port's conformance suite: the same expectations of the PostgreSQL and the SQLite
//! adapter, exercised through the trait alone.

mod common;

use std::sync::Arc;

use boxoffice_outbox::EventEnvelope;
use boxoffice_payments::domain::{Brand, Card, DeclineCode, PaymentStatus, RefundStatus};
use boxoffice_payments::store::{
    Claim, KeyClaim, PaymentFinish, PaymentRecord, PaymentStore, RefundDraft, RefundFinish,
    RefundRejection, StaleWork, StoredResponse, for_database,
};
use boxoffice_store::Database;
use chrono::{SubsecRound, TimeDelta, Utc};
use common::*;
use serde_json::json;
use uuid::Uuid;

on_both_engines!(
    a_key_is_claimed_once_then_in_flight_then_replayed,
    a_key_with_other_parameters_is_a_mismatch,
    an_expired_lock_lets_a_retry_resume_the_same_payment,
    finishing_twice_keeps_the_first_answer_and_one_ledger_entry,
    refunds_reserve_their_amount_until_they_fail,
    refunds_are_rejected_for_missing_or_unsettled_payments,
    stale_keys_are_claimed_once_for_recovery,
    only_old_finished_keys_are_purged,
    the_ledger_refuses_updates_and_deletes,
);

async fn store(engine: Engine) -> (Arc<dyn PaymentStore>, Database) {
    let db = database(&fresh_url(engine).await).await;
    (for_database(&db), db)
}

fn claim(key: &str, fingerprint: &str) -> KeyClaim {
    let now = Utc::now().trunc_subsecs(6);
    KeyClaim {
        key: key.into(),
        fingerprint: fingerprint.into(),
        now,
        lock_cutoff: now - TimeDelta::seconds(60),
    }
}

fn draft(amount: i64) -> PaymentRecord {
    PaymentRecord {
        id: Uuid::now_v7(),
        booking_id: Uuid::now_v7(),
        amount,
        currency: "EUR".into(),
        status: PaymentStatus::Processing,
        decline_code: None,
        card: Card {
            brand: Brand::Visa,
            last4: "4242".into(),
        },
        amount_refunded: 0,
        created_at: Utc::now().trunc_subsecs(6),
    }
}

fn answer(tag: &str) -> StoredResponse {
    StoredResponse {
        status: 201,
        body: json!({ "tag": tag }),
    }
}

async fn succeed(store: &dyn PaymentStore, key: &str, payment: &PaymentRecord) -> StoredResponse {
    store
        .finish_payment(&PaymentFinish {
            key: key.into(),
            payment_id: payment.id,
            status: PaymentStatus::Succeeded,
            decline_code: None,
            event: Some(
                EventEnvelope::new("payment.captured", json!({"id": payment.id})).expect("event"),
            ),
            response: answer(key),
            now: Utc::now(),
        })
        .await
        .expect("finish")
}

async fn paid(store: &dyn PaymentStore, amount: i64) -> PaymentRecord {
    let key = new_key();
    let payment = draft(amount);
    assert_eq!(
        store
            .claim_payment(&claim(&key, "f"), &payment)
            .await
            .expect("claim"),
        Claim::Proceed(payment.clone())
    );
    succeed(store, &key, &payment).await;
    payment
}

async fn a_key_is_claimed_once_then_in_flight_then_replayed(engine: Engine) {
    let (store, db) = store(engine).await;
    let payment = draft(1_000);
    let first = store
        .claim_payment(&claim("k1", "f"), &payment)
        .await
        .expect("claim");
    assert_eq!(first, Claim::Proceed(payment.clone()));
    let second = store
        .claim_payment(&claim("k1", "f"), &draft(1_000))
        .await
        .expect("claim");
    assert_eq!(second, Claim::InFlight);

    succeed(store.as_ref(), "k1", &payment).await;
    let third = store
        .claim_payment(&claim("k1", "f"), &draft(1_000))
        .await
        .expect("claim");
    assert_eq!(third, Claim::Replay(answer("k1")));
    assert_eq!(count(&db, "payments").await, 1);
    assert_eq!(outbox_types(&db).await, ["payment.captured"]);
    let stored = store
        .payment(payment.id)
        .await
        .expect("read")
        .expect("exists");
    assert_eq!(stored.status, PaymentStatus::Succeeded);
}

async fn a_key_with_other_parameters_is_a_mismatch(engine: Engine) {
    let (store, db) = store(engine).await;
    store
        .claim_payment(&claim("k1", "f1"), &draft(1_000))
        .await
        .expect("claim");
    let other = store
        .claim_payment(&claim("k1", "f2"), &draft(2_000))
        .await
        .expect("claim");
    assert_eq!(other, Claim::Mismatch);
    assert_eq!(count(&db, "payments").await, 1);
}

async fn an_expired_lock_lets_a_retry_resume_the_same_payment(engine: Engine) {
    let (store, _db) = store(engine).await;
    let payment = draft(1_000);
    store
        .claim_payment(&claim("k1", "f"), &payment)
        .await
        .expect("claim");
    let mut later = claim("k1", "f");
    later.lock_cutoff = later.now + TimeDelta::seconds(1);
    let resumed = store
        .claim_payment(&later, &draft(1_000))
        .await
        .expect("claim");
    assert_eq!(
        resumed,
        Claim::Proceed(payment.clone()),
        "the original payment, not the new draft"
    );
    // A released key is free at once.
    store.release_key("k1", Utc::now()).await.expect("release");
    let again = store
        .claim_payment(&claim("k1", "f"), &draft(1_000))
        .await
        .expect("claim");
    assert_eq!(again, Claim::Proceed(payment));
}

async fn finishing_twice_keeps_the_first_answer_and_one_ledger_entry(engine: Engine) {
    let (store, db) = store(engine).await;
    let payment = draft(1_000);
    store
        .claim_payment(&claim("k1", "f"), &payment)
        .await
        .expect("claim");
    succeed(store.as_ref(), "k1", &payment).await;
    let late = store
        .finish_payment(&PaymentFinish {
            key: "k1".into(),
            payment_id: payment.id,
            status: PaymentStatus::Declined,
            decline_code: Some(DeclineCode::CardDeclined),
            event: None,
            response: answer("late"),
            now: Utc::now(),
        })
        .await
        .expect("finish");
    assert_eq!(late, answer("k1"));
    assert_eq!(count(&db, "ledger_entries").await, 1);
    assert_audit_clean(&db).await;
}

async fn refunds_reserve_their_amount_until_they_fail(engine: Engine) {
    let (store, db) = store(engine).await;
    let payment = paid(store.as_ref(), 1_000).await;
    let refund = |amount: Option<i64>| RefundDraft {
        id: Uuid::now_v7(),
        payment_id: payment.id,
        amount,
        reason: None,
    };

    let Claim::Proceed(pending) = store
        .claim_refund(&claim("r1", "f"), &refund(Some(600)))
        .await
        .expect("claim")
    else {
        panic!("first refund must proceed");
    };
    assert_eq!(pending.refund.status, RefundStatus::Pending);
    let over = store
        .claim_refund(&claim("r2", "f"), &refund(Some(500)))
        .await
        .expect("claim");
    assert_eq!(
        over,
        Claim::Rejected(RefundRejection::ExceedsRemaining { remaining: 400 })
    );

    store
        .finish_refund(&RefundFinish {
            key: "r1".into(),
            refund_id: pending.refund.id,
            status: RefundStatus::Failed,
            event: None,
            response: answer("r1"),
            now: Utc::now(),
        })
        .await
        .expect("finish");
    let Claim::Proceed(full) = store
        .claim_refund(&claim("r3", "f"), &refund(None))
        .await
        .expect("claim")
    else {
        panic!("a failed refund releases its reservation");
    };
    assert_eq!(full.refund.amount, 1_000);
    store
        .finish_refund(&RefundFinish {
            key: "r3".into(),
            refund_id: full.refund.id,
            status: RefundStatus::Succeeded,
            event: Some(EventEnvelope::new("payment.refunded", json!({})).expect("event")),
            response: answer("r3"),
            now: Utc::now(),
        })
        .await
        .expect("finish");
    let report = assert_audit_clean(&db).await;
    assert_eq!((report.charged, report.refunded), (1_000, 1_000));
    assert_eq!(
        store
            .payment(payment.id)
            .await
            .expect("read")
            .expect("exists")
            .amount_refunded,
        1_000
    );
    let statuses: Vec<_> = store
        .refunds(payment.id)
        .await
        .expect("refunds")
        .iter()
        .map(|r| r.status)
        .collect();
    assert_eq!(statuses, [RefundStatus::Failed, RefundStatus::Succeeded]);
}

async fn refunds_are_rejected_for_missing_or_unsettled_payments(engine: Engine) {
    let (store, db) = store(engine).await;
    let missing = RefundDraft {
        id: Uuid::now_v7(),
        payment_id: Uuid::now_v7(),
        amount: None,
        reason: None,
    };
    assert_eq!(
        store
            .claim_refund(&claim("r1", "f"), &missing)
            .await
            .expect("claim"),
        Claim::Rejected(RefundRejection::PaymentNotFound)
    );
    let processing = draft(1_000);
    store
        .claim_payment(&claim("p1", "f"), &processing)
        .await
        .expect("claim");
    let early = RefundDraft {
        id: Uuid::now_v7(),
        payment_id: processing.id,
        amount: None,
        reason: None,
    };
    assert_eq!(
        store
            .claim_refund(&claim("r2", "f"), &early)
            .await
            .expect("claim"),
        Claim::Rejected(RefundRejection::NotRefundable)
    );
    assert_eq!(
        count(&db, "idempotency_keys").await,
        1,
        "rejected refunds leave no key"
    );
}

async fn stale_keys_are_claimed_once_for_recovery(engine: Engine) {
    let (store, _db) = store(engine).await;
    let payment = draft(1_000);
    store
        .claim_payment(&claim("k1", "f"), &payment)
        .await
        .expect("claim");
    let done = paid(store.as_ref(), 500).await;

    let cutoff = Utc::now() + TimeDelta::milliseconds(1);
    let work = store
        .claim_stale(cutoff, cutoff + TimeDelta::seconds(1), 10)
        .await
        .expect("stale");
    assert_eq!(
        work,
        [StaleWork::Payment {
            key: "k1".into(),
            payment: payment.clone()
        }]
    );
    assert_ne!(payment.id, done.id);
    // Claiming touched the key: the same cutoff finds nothing more.
    assert!(
        store
            .claim_stale(cutoff, Utc::now(), 10)
            .await
            .expect("stale")
            .is_empty()
    );
}

async fn only_old_finished_keys_are_purged(engine: Engine) {
    let (store, db) = store(engine).await;
    paid(store.as_ref(), 500).await;
    store
        .claim_payment(&claim("unfinished", "f"), &draft(500))
        .await
        .expect("claim");
    assert_eq!(
        store
            .purge_keys(Utc::now() - TimeDelta::hours(24))
            .await
            .expect("purge"),
        0
    );
    assert_eq!(
        store
            .purge_keys(Utc::now() + TimeDelta::seconds(1))
            .await
            .expect("purge"),
        1
    );
    assert_eq!(
        count(&db, "idempotency_keys").await,
        1,
        "unfinished keys wait for recovery"
    );
}

async fn the_ledger_refuses_updates_and_deletes(engine: Engine) {
    let (store, db) = store(engine).await;
    paid(store.as_ref(), 500).await;
    let update = "UPDATE ledger_entries SET amount = amount + 1";
    let delete = "DELETE FROM ledger_entries";
    for sql in [update, delete] {
        let result = match &db {
            Database::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
            Database::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(|_| ()),
        };
        let error = result.expect_err("the ledger is append-only").to_string();
        assert!(error.contains("append-only"), "{error}");
    }
    assert_eq!(count(&db, "ledger_entries").await, 1);
}
