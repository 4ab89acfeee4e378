//! One conformance suite for the booking store port, run on PostgreSQL and on SQLite.

mod common;

use boxoffice_booking::domain::{BookingStatus, SagaStep};
use boxoffice_booking::store::{
    self, Booking, Change, Details, HeldSeat, LogEntry, SharedStore, StoreError, TicketRecord,
};
use boxoffice_store::{Database, PoolSettings};
use chrono::{Duration, SubsecRound, Utc};
use common::{Engine, database_url};
use uuid::Uuid;

async fn store(engine: Engine) -> (SharedStore, Database) {
    let url = database_url(engine).await;
    let db = Database::connect(
        &url,
        &boxoffice_booking::MIGRATIONS,
        PoolSettings::default(),
    )
    .await
    .expect("connect");
    (store::for_database(&db), db)
}

fn booking(step: SagaStep) -> Booking {
    let id = Uuid::now_v7();
    let now = Utc::now().trunc_subsecs(6);
    Booking {
        id,
        user_id: Uuid::now_v7(),
        showtime_id: Uuid::now_v7(),
        hold_id: id,
        seat_ids: vec!["A-1".into(), "A-2".into()],
        seats: vec![HeldSeat {
            id: "A-1".into(),
            row: "A".into(),
            number: 1,
            seat_type: "STANDARD".into(),
            price: 1200,
        }],
        status: BookingStatus::Pending,
        step,
        closing_status: None,
        total_amount: 2400,
        currency: "EUR".into(),
        hold_expires_at: Some(now + Duration::minutes(10)),
        attempt: 0,
        client_key: None,
        payment_id: None,
        details: Details {
            recipient_email: "ada@example.com".into(),
            recipient_name: "Ada".into(),
            movie_title: "Heat".into(),
            cinema_id: Uuid::now_v7(),
            cinema_name: "Roxy".into(),
            cinema_address: "1 Main St".into(),
            time_zone: "Europe/Berlin".into(),
            auditorium: "Hall 1".into(),
            starts_at: now + Duration::days(3),
        },
        created_at: now,
        updated_at: now,
    }
}

fn log(step: SagaStep) -> LogEntry {
    LogEntry::new(step, "started", None)
}

async fn outbox_rows(db: &Database) -> i64 {
    let sql = "SELECT count(*) FROM outbox";
    let (n,): (i64,) = match db {
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await,
    }
    .expect("count");
    n
}

async fn a_booking_round_trips_and_saves_atomically_with_tickets_log_and_event(engine: Engine) {
    let (store, db) = store(engine).await;
    let owner = Uuid::now_v7();
    let mut b = booking(SagaStep::Holding);
    store
        .insert(
            &b,
            owner,
            Utc::now() + Duration::minutes(1),
            &log(SagaStep::Holding),
        )
        .await
        .expect("insert");
    assert_eq!(store.get(b.id).await.expect("get"), Some(b.clone()));

    b.status = BookingStatus::Confirmed;
    b.step = SagaStep::Confirmed;
    b.payment_id = Some(Uuid::now_v7());
    b.attempt = 2;
    b.client_key = Some("k".into());
    let tickets = vec![TicketRecord {
        code: "CODE1".into(),
        booking_id: b.id,
        seat_id: "A-1".into(),
        qr_svg: "<svg/>".into(),
    }];
    let event = boxoffice_outbox::EventEnvelope::new("booking.confirmed", serde_json::json!({}))
        .expect("event");
    let change = Change {
        log: vec![log(SagaStep::Charged)],
        tickets: &tickets,
        event: Some(&event),
        end_lease: false,
    };
    store.save(&b, owner, change).await.expect("save");
    let back = store.get(b.id).await.expect("get").expect("row");
    assert_eq!(
        (back.status, back.step, back.payment_id, back.attempt),
        (b.status, b.step, b.payment_id, 2)
    );
    assert_eq!(store.tickets(b.id).await.expect("tickets"), tickets);
    assert_eq!(store.saga_log(b.id).await.expect("log").len(), 2);
    assert_eq!(outbox_rows(&db).await, 1);
    assert_eq!(store.for_user(b.user_id).await.expect("mine").len(), 1);
}

async fn only_the_lease_holder_may_save_and_leases_exclude_each_other(engine: Engine) {
    let (store, db) = store(engine).await;
    let owner = Uuid::now_v7();
    let now = Utc::now();
    let b = booking(SagaStep::Held);
    store
        .insert(
            &b,
            owner,
            now + Duration::minutes(1),
            &log(SagaStep::Holding),
        )
        .await
        .expect("insert");

    let intruder = Uuid::now_v7();
    assert!(
        !store
            .try_lease(b.id, intruder, now + Duration::minutes(1), now)
            .await
            .expect("lease")
    );
    let event = boxoffice_outbox::EventEnvelope::new("booking.expired", serde_json::json!({}))
        .expect("event");
    let change = Change {
        log: vec![],
        tickets: &[],
        event: Some(&event),
        end_lease: false,
    };
    assert!(matches!(
        store.save(&b, intruder, change).await,
        Err(StoreError::LeaseLost(_))
    ));
    assert_eq!(outbox_rows(&db).await, 0, "a refused save writes nothing");

    store.end_lease(b.id, owner).await.expect("end");
    assert!(
        store
            .try_lease(b.id, intruder, now + Duration::minutes(1), now)
            .await
            .expect("lease")
    );
    assert!(
        !store
            .try_lease(b.id, owner, now + Duration::minutes(1), now)
            .await
            .expect("lease")
    );
    // A lease that ran out can be taken over.
    let later = now + Duration::minutes(2);
    assert!(
        store
            .try_lease(b.id, owner, later + Duration::minutes(1), later)
            .await
            .expect("lease")
    );
}

async fn a_write_that_ends_the_lease_frees_the_booking_and_others_keep_it(engine: Engine) {
    let (store, _db) = store(engine).await;
    let owner = Uuid::now_v7();
    let now = Utc::now();
    let mut b = booking(SagaStep::Holding);
    let until = now + Duration::minutes(1);
    store
        .insert(&b, owner, until, &log(SagaStep::Holding))
        .await
        .expect("insert");
    let other = Uuid::now_v7();

    b.step = SagaStep::Charging;
    let keep = Change {
        log: vec![log(SagaStep::Charging)],
        ..Change::default()
    };
    store.save(&b, owner, keep).await.expect("save");
    assert!(
        !store
            .try_lease(b.id, other, until, now)
            .await
            .expect("lease"),
        "a write without end_lease keeps the lease"
    );

    // One log line (PostgreSQL's one-statement path) and a transaction with an event.
    b.step = SagaStep::Held;
    let end = Change {
        log: vec![log(SagaStep::Held)],
        end_lease: true,
        ..Change::default()
    };
    store.save(&b, owner, end).await.expect("save");
    assert!(
        store
            .try_lease(b.id, other, until, now)
            .await
            .expect("lease")
    );

    let event = boxoffice_outbox::EventEnvelope::new("booking.expired", serde_json::json!({}))
        .expect("event");
    b.step = SagaStep::Closed;
    let end_with_event = Change {
        log: vec![log(SagaStep::Releasing)],
        event: Some(&event),
        end_lease: true,
        ..Change::default()
    };
    store.save(&b, other, end_with_event).await.expect("save");
    assert!(
        store
            .try_lease(b.id, owner, until, now)
            .await
            .expect("lease")
    );
    let back = store.get(b.id).await.expect("get").expect("row");
    assert_eq!(back.step, SagaStep::Closed);
    assert_eq!(store.saga_log(b.id).await.expect("log").len(), 4);
}

async fn stuck_and_expired_bookings_are_found(engine: Engine) {
    let (store, _db) = store(engine).await;
    let now = Utc::now();
    let owner = Uuid::now_v7();
    let charging = booking(SagaStep::Charging);
    store
        .insert(
            &charging,
            owner,
            now - Duration::seconds(1),
            &log(SagaStep::Charging),
        )
        .await
        .expect("insert");
    let leased = booking(SagaStep::Charged);
    store
        .insert(
            &leased,
            owner,
            now + Duration::minutes(5),
            &log(SagaStep::Charged),
        )
        .await
        .expect("insert");
    let mut lapsed = booking(SagaStep::Held);
    lapsed.hold_expires_at = Some(now - Duration::seconds(5));
    store
        .insert(&lapsed, owner, now, &log(SagaStep::Held))
        .await
        .expect("insert");
    let fresh = booking(SagaStep::Held);
    store
        .insert(&fresh, owner, now, &log(SagaStep::Held))
        .await
        .expect("insert");

    let later = now + Duration::seconds(30);
    let stuck = store.stuck(later, later, 10).await.expect("stuck");
    assert_eq!(
        stuck,
        vec![charging.id],
        "leased and resting bookings are left alone"
    );
    assert_eq!(
        store.expired(now, 10).await.expect("expired"),
        vec![lapsed.id]
    );
}

macro_rules! on_both_engines {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                use super::*;
                #[tokio::test]
                async fn on_postgres() {
                    super::$name(Engine::Postgres).await;
                }
                #[tokio::test]
                async fn on_sqlite() {
                    super::$name(Engine::Sqlite).await;
                }
            }
        )*
    };
}

on_both_engines!(
    a_booking_round_trips_and_saves_atomically_with_tickets_log_and_event,
    only_the_lease_holder_may_save_and_leases_exclude_each_other,
    a_write_that_ends_the_lease_frees_the_booking_and_others_keep_it,
    stuck_and_expired_bookings_are_found,
);
