//! The booking service dies after the charge and before the confirm; a new instance on the
//! same database finishes the saga: CONFIRMED (or REFUNDED with the seats gone), charged once,
//! one booking.confirmed.

mod common;

use std::sync::Arc;

use boxoffice_booking::saga::Faults;
use boxoffice_store::Database;
use common::*;
use tokio::sync::Notify;

async fn outbox_count(database: &Database, event_type: &str) -> i64 {
    let sql = "SELECT count(*) FROM outbox WHERE event_type = $1";
    let (n,): (i64,) = match database {
        Database::Postgres(pool) => sqlx::query_as(sql).bind(event_type).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).bind(event_type).fetch_one(pool).await,
    }
    .expect("outbox count");
    n
}

async fn payments_of(cluster: &Cluster, booking_id: &str) -> Vec<(String, i64, i64)> {
    let id = uuid::Uuid::parse_str(booking_id).expect("uuid");
    let sql = "SELECT status, amount, amount_refunded FROM payments WHERE booking_id = $1";
    match &cluster.payments_db {
        Database::Postgres(pool) => sqlx::query_as(sql).bind(id).fetch_all(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).bind(id).fetch_all(pool).await,
    }
    .expect("payments")
}

/// Starts a booking instance that halts after the charge, pays, and kills it at that point.
async fn crash_after_charge(
    cluster: &Cluster,
    settings: &boxoffice_booking::Settings,
    showtime_id: &str,
    token: &str,
) -> String {
    let halt = Arc::new(Notify::new());
    let faults = Faults {
        halt_after_charge: Some(halt.clone()),
        ..Faults::default()
    };
    crash_at(cluster, settings, showtime_id, token, faults, halt).await
}

async fn crash_at(
    cluster: &Cluster,
    settings: &boxoffice_booking::Settings,
    showtime_id: &str,
    token: &str,
    faults: Faults,
    halt: Arc<Notify>,
) -> String {
    let (bus, _) = memory_bus().await;
    let first = Booking::start(cluster, settings.clone(), bus, faults).await;
    let url = first.url();
    let created = create_booking(&url, token, showtime_id, &["A-1", "A-2"]).await;
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let paying = {
        let (url, token, id) = (url.clone(), token.to_owned(), id.clone());
        tokio::spawn(async move { pay_booking(&url, &token, &id, CARD_OK, "k1").await })
    };
    halt.notified().await;
    first.crash();
    paying.abort();
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_between_charge_and_confirm_ends_confirmed_charged_once_with_one_event() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 5, "2030-01-01T18:00:00Z").await;
    let (_, token) = cluster.customer("Crash").await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    // A dead instance's lease runs out quickly, so the test need not wait long.
    settings.lease_secs = 2;
    let id = crash_after_charge(&cluster, &settings, &seeded.showtime_id, &token).await;

    let (bus, events) = memory_bus().await;
    let second = Booking::start(&cluster, settings, bus, Faults::default()).await;
    let url = second.url();
    eventually("recovery confirms the booking", || async {
        booking_status(&url, &token, &id).await["data"]["booking"]["status"] == "CONFIRMED"
    })
    .await;
    let booking = booking_status(&url, &token, &id).await;
    assert_eq!(
        booking["data"]["booking"]["tickets"]
            .as_array()
            .expect("tickets")
            .len(),
        2
    );
    assert_eq!(
        payments_of(&cluster, &id).await,
        vec![("succeeded".to_owned(), 2400, 0)]
    );
    eventually("booking.confirmed published", || async {
        events.of_type("booking.confirmed").len() == 1
    })
    .await;
    assert_eq!(outbox_count(&second.database, "booking.confirmed").await, 1);
    let states = cluster.seat_states(&seeded.showtime_id).await;
    assert_eq!(states.iter().filter(|s| s.1 == "sold").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_crash_after_charge_whose_hold_then_lapsed_ends_refunded() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 5, "2030-01-01T18:00:00Z").await;
    let (_, token) = cluster.customer("Late").await;
    let (_, rival) = cluster.customer("Rival").await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    settings.lease_secs = 2;
    settings.hold_ttl_secs = 2;
    let id = crash_after_charge(&cluster, &settings, &seeded.showtime_id, &token).await;

    // While the booking service is down the hold lapses and a rival takes the seats (through
    // another booking database: a separate deployment of the booking service).
    let (bus, _) = memory_bus().await;
    let rival_db = database_url(Engine::Postgres).await;
    let other = Booking::start(
        &cluster,
        cluster.booking_settings(&rival_db),
        bus,
        Faults::default(),
    )
    .await;
    eventually("the rival gets the seats", || async {
        let r = create_booking(&other.url(), &rival, &seeded.showtime_id, &["A-1", "A-2"]).await;
        r["errors"].is_null()
    })
    .await;

    let (bus, events) = memory_bus().await;
    let second = Booking::start(&cluster, settings, bus, Faults::default()).await;
    let url = second.url();
    eventually("recovery refunds the booking", || async {
        booking_status(&url, &token, &id).await["data"]["booking"]["status"] == "REFUNDED"
    })
    .await;
    assert_eq!(
        payments_of(&cluster, &id).await,
        vec![("succeeded".to_owned(), 2400, 2400)]
    );
    assert_eq!(outbox_count(&second.database, "booking.confirmed").await, 0);
    eventually("booking.refunded published", || async {
        events.of_type("booking.refunded").len() == 1
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_charge_whose_answer_was_lost_in_a_crash_is_found_and_confirmed() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 5, "2030-01-01T18:00:00Z").await;
    let (_, token) = cluster.customer("Lost").await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    settings.lease_secs = 2;
    settings.charge_settle_after_ms = 1_000;
    let halt = Arc::new(Notify::new());
    let faults = Faults {
        halt_before_recording_charge: Some(halt.clone()),
        ..Faults::default()
    };
    let id = crash_at(
        &cluster,
        &settings,
        &seeded.showtime_id,
        &token,
        faults,
        halt,
    )
    .await;

    let (bus, events) = memory_bus().await;
    let second = Booking::start(&cluster, settings, bus, Faults::default()).await;
    let url = second.url();
    eventually("recovery finds the capture and confirms", || async {
        booking_status(&url, &token, &id).await["data"]["booking"]["status"] == "CONFIRMED"
    })
    .await;
    assert_eq!(
        payments_of(&cluster, &id).await,
        vec![("succeeded".to_owned(), 2400, 0)]
    );
    eventually("one booking.confirmed", || async {
        events.of_type("booking.confirmed").len() == 1
    })
    .await;
    let log = second.database.clone();
    let steps: Vec<(String, String)> = match &log {
        Database::Postgres(pool) => {
            sqlx::query_as("SELECT step, phase FROM saga_log WHERE booking_id = $1 ORDER BY at, id")
                .bind(uuid::Uuid::parse_str(&id).expect("uuid"))
                .fetch_all(pool)
                .await
                .expect("log")
        }
        Database::Sqlite(_) => unreachable!("PostgreSQL only"),
    };
    // Every step was recorded before and after: the charge's "done" came from recovery.
    assert!(
        steps.contains(&("charging".to_owned(), "started".to_owned())),
        "{steps:?}"
    );
    assert!(
        steps.contains(&("charging".to_owned(), "done".to_owned())),
        "{steps:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_capture_that_lands_after_the_booking_closed_is_refunded_by_the_sweep() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 5, "2030-01-01T18:00:00Z").await;
    let (_, token) = cluster.customer("Orphan").await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    settings.charge_settle_after_ms = 500;
    let (bus, _) = memory_bus().await;
    let booking = Booking::start(&cluster, settings, bus, Faults::default()).await;
    let url = booking.url();
    let created = create_booking(&url, &token, &seeded.showtime_id, &["A-1"]).await;
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let declined = pay_booking(&url, &token, &id, CARD_DECLINED, "k1").await;
    assert_eq!(error_code(&declined).as_deref(), Some("PAYMENT_DECLINED"));
    let cancelled = cancel_booking(&url, &token, &id).await;
    assert_eq!(
        cancelled["data"]["cancelBooking"]["status"], "CANCELLED",
        "{cancelled}"
    );

    // A capture arrives for the closed booking (as a charge request that outlived its saga would).
    let client = boxoffice_payments::PaymentsClient::new(
        format!("http://{}", cluster.payments_addr),
        cluster.payments_token.clone(),
    )
    .expect("client");
    let request = boxoffice_payments::model::CreatePayment {
        booking_id: uuid::Uuid::parse_str(&id).expect("uuid"),
        amount: 1200,
        currency: "EUR".into(),
        card: boxoffice_payments::domain::CardInput {
            number: CARD_OK.into(),
            exp_month: 12,
            exp_year: 2040,
            cvc: "123".into(),
        },
    };
    client
        .create_payment("late-capture", &request)
        .await
        .expect("late capture");

    eventually("the sweep refunds the late capture", || async {
        payments_of(&cluster, &id)
            .await
            .contains(&("succeeded".to_owned(), 1200, 1200))
    })
    .await;
    let status = booking_status(&url, &token, &id).await;
    assert_eq!(status["data"]["booking"]["status"], "CANCELLED");
}
