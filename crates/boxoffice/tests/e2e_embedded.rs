//! The same end-to-end journey against `boxoffice all` on SQLite, plus the embedded
//! deployment's own promises: a race with an audit, and a kill that loses nothing.

mod support;

use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;
use support::cluster::{Cluster, Deployment};
use support::journey;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_new_customer_books_pays_gets_tickets_and_a_refund_in_one_process() {
    let cluster = Cluster::start(Deployment::Embedded).await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "embedded").await;
    journey::customer_journey(&cluster, &catalog, "erin@example.com").await;
    cluster.audit_until_clean(Duration::from_secs(60), "").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_customers_racing_for_overlapping_seats_never_share_one_on_sqlite() {
    // One test machine plays every customer: the per-IP registration limit is off for it.
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[("BOXOFFICE_GATEWAY__RATE_LIMIT__ENABLED", "false")],
    )
    .await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "race").await;
    let api = cluster.api();
    let customers: Vec<_> = futures::stream::iter(0..200)
        .map(|i| {
            let api = api.clone();
            async move {
                let session = api
                    .register(
                        &format!("racer{i}@example.com"),
                        "racing for the best seats",
                        &format!("Racer {i}"),
                    )
                    .await
                    .expect("register");
                api.with_token(session.access_token)
            }
        })
        .buffer_unordered(8)
        .collect()
        .await;
    // Everybody wants two adjacent seats of rows C and D (16 seats), in overlapping pairs, all
    // at once: at most 8 bookings can win.
    let attempts = customers.iter().enumerate().map(|(i, customer)| {
        let row = if i % 2 == 0 { "C" } else { "D" };
        let first = 1 + (i / 2) % 7;
        let seats = [format!("{row}-{first}"), format!("{row}-{}", first + 1)];
        let showtime = catalog.showtime_id.clone();
        async move {
            let created = customer
                .graphql(
                    "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }",
                    json!({"input": {"showtimeId": showtime, "seatIds": seats}}),
                )
                .await;
            let Ok(created) = created else { return false };
            let id = created["createBooking"]["id"].as_str().unwrap_or_default().to_owned();
            customer
                .graphql(
                    "mutation($input: PayBookingInput!) { payBooking(input: $input) { status } }",
                    json!({"input": {"bookingId": id, "card": journey::card(journey::GOOD_CARD), "idempotencyKey": format!("{id}-1")}}),
                )
                .await
                .is_ok_and(|paid| paid["payBooking"]["status"] == "CONFIRMED")
        }
    });
    let confirmed = futures::future::join_all(attempts)
        .await
        .into_iter()
        .filter(|ok| *ok)
        .count();
    assert!(
        (1..=8).contains(&confirmed),
        "{confirmed} bookings of 2 seats each out of 16 contested seats"
    );
    cluster.audit_until_clean(Duration::from_secs(60), "").await;
}

/// The saga step of a booking, read from the booking store.
async fn step_of(cluster: &Cluster, id: &str) -> String {
    let db = cluster
        .store("booking", &boxoffice_booking::MIGRATIONS)
        .await;
    let id = uuid::Uuid::parse_str(id).expect("uuid");
    let step: String = match &db {
        boxoffice_store::Database::Postgres(pool) => {
            sqlx::query_scalar("SELECT step FROM bookings WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
        }
        boxoffice_store::Database::Sqlite(pool) => {
            sqlx::query_scalar("SELECT step FROM bookings WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
        }
    }
    .expect("the booking survived the kill");
    db.close().await;
    step
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn killing_the_process_during_a_payment_loses_nothing_on_sqlite() {
    // A slow card network so the kill lands while the charge is in flight, and short recovery
    // timers so the restarted process settles it within the test.
    let mut cluster = Cluster::start_with(
        Deployment::Embedded,
        &[
            ("BOXOFFICE_PAYMENTS__PROCESSOR__LATENCY_MS", "600"),
            ("BOXOFFICE_PAYMENTS__PROCESSOR_TIMEOUT_MS", "3000"),
            ("BOXOFFICE_PAYMENTS__RECOVER_AFTER_MS", "3500"),
            ("BOXOFFICE_PAYMENTS__RECOVERY_INTERVAL_MS", "500"),
            ("BOXOFFICE_BOOKING__CHARGE_SETTLE_AFTER_MS", "4000"),
            ("BOXOFFICE_BOOKING__STUCK_AFTER_MS", "500"),
            ("BOXOFFICE_BOOKING__RECOVERY_INTERVAL_MS", "300"),
            // The killed process held the booking's lease; a short one lets the next take over.
            ("BOXOFFICE_BOOKING__LEASE_SECS", "3"),
        ],
    )
    .await;
    let admin = cluster.admin().await;
    let catalog = journey::staff_create_catalog(&admin, "crash").await;
    let api = cluster.api();
    let session = api
        .register(
            "crash@example.com",
            "whatever happens, keep it",
            "Crash Test",
        )
        .await
        .expect("register");
    let customer = api.with_token(session.access_token.clone());
    let created = customer
        .graphql(
            "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id } }",
            json!({"input": {"showtimeId": catalog.showtime_id, "seatIds": ["A-1", "A-2"]}}),
        )
        .await
        .expect("createBooking");
    let id = created["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    // Pay, and SIGKILL the whole process while the card network is working on the charge.
    let paying = {
        let customer = customer.clone();
        let id = id.clone();
        tokio::spawn(async move {
            customer
                .graphql(
                    "mutation($input: PayBookingInput!) { payBooking(input: $input) { status } }",
                    json!({"input": {"bookingId": id, "card": journey::card(journey::GOOD_CARD), "idempotencyKey": format!("{id}-1")}}),
                )
                .await
        })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    cluster.kill("all");
    assert!(
        paying.await.expect("join").is_err(),
        "the answer cannot have arrived"
    );
    assert_eq!(
        step_of(&cluster, &id).await,
        "charging",
        "the kill must land inside the charge"
    );

    cluster.restart("all");
    cluster.wait_until_ready().await;
    // The restarted process settles the charge: the booking ends paid (CONFIRMED) or unpaid
    // (back to PENDING with nothing captured), never in between, and the money agrees.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let step = step_of(&cluster, &id).await;
        if ["confirmed", "held", "closed"].contains(&step.as_str()) {
            break;
        }
        assert!(Instant::now() < deadline, "booking stuck in step {step}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    cluster.audit_until_clean(Duration::from_secs(60), "").await;
}
