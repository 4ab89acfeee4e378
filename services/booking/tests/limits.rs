//! What one customer may hold (ADR 0504): unpaid bookings and seats per showtime are capped
//! exactly, even when one customer races many createBooking calls; a declined payment never
//! moves the hold's deadline; a booking's payment attempts are capped before the processor.

mod common;

use std::collections::HashSet;

use boxoffice_booking::saga::Faults;
use boxoffice_store::Database;
use common::*;
use serde_json::Value;

const SHOW: &str = "2030-01-01T18:00:00Z";

async fn start(
    cluster: &Cluster,
    engine: Engine,
    adjust: impl FnOnce(&mut boxoffice_booking::Settings),
) -> Booking {
    let (bus, _) = memory_bus().await;
    let db = database_url(engine).await;
    let mut settings = cluster.booking_settings(&db);
    adjust(&mut settings);
    Booking::start(cluster, settings, bus, Faults::default()).await
}

fn id_of(created: &Value) -> String {
    created["data"]["createBooking"]["id"]
        .as_str()
        .unwrap_or_else(|| panic!("a booking: {created}"))
        .to_owned()
}

/// (PENDING bookings, seats of PENDING or CONFIRMED bookings) of one customer, straight from
/// the booking database.
async fn holdings(database: &Database, user: uuid::Uuid) -> (usize, usize) {
    let sql = "SELECT status, seat_ids FROM bookings WHERE user_id = $1";
    let rows: Vec<(String, String)> = match database {
        Database::Postgres(pool) => sqlx::query_as(sql).bind(user).fetch_all(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).bind(user).fetch_all(pool).await,
    }
    .expect("bookings");
    let pending = rows.iter().filter(|r| r.0 == "PENDING").count();
    let seats = rows
        .iter()
        .filter(|r| r.0 == "PENDING" || r.0 == "CONFIRMED")
        .map(|r| {
            serde_json::from_str::<Vec<String>>(&r.1)
                .expect("seat ids")
                .len()
        })
        .sum();
    (pending, seats)
}

async fn payments_of(cluster: &Cluster, booking_id: &str) -> Vec<String> {
    let id = uuid::Uuid::parse_str(booking_id).expect("uuid");
    let sql = "SELECT status FROM payments WHERE booking_id = $1 ORDER BY created_at";
    let rows: Vec<(String,)> = match &cluster.payments_db {
        Database::Postgres(pool) => sqlx::query_as(sql).bind(id).fetch_all(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).bind(id).fetch_all(pool).await,
    }
    .expect("payments");
    rows.into_iter().map(|(s,)| s).collect()
}

async fn a_third_pending_booking_is_refused_until_one_is_cancelled(engine: Engine) {
    let cluster = Cluster::start(engine).await;
    let seeded = cluster.seed(2, 8, SHOW).await;
    let booking = start(&cluster, engine, |_| {}).await;
    let url = booking.url();
    let (user, token) = cluster.customer("Hoarder").await;
    let first = id_of(&create_booking(&url, &token, &seeded.showtime_id, &["A-1"]).await);
    id_of(&create_booking(&url, &token, &seeded.showtime_id, &["A-2"]).await);

    let third = create_booking(&url, &token, &seeded.showtime_id, &["A-3"]).await;
    assert_eq!(error_code(&third).as_deref(), Some("HOLD_LIMIT"), "{third}");
    let extensions = &third["errors"][0]["extensions"];
    assert_eq!(extensions["limit"], "max_pending_bookings", "{third}");
    assert_eq!(extensions["max"], 2, "{third}");
    assert_eq!(holdings(&booking.database, user).await, (2, 2));
    let states = cluster.seat_states(&seeded.showtime_id).await;
    let a3 = states.iter().find(|s| s.0 == "A-3").expect("A-3");
    assert_eq!(a3.1, "available", "the refused booking held nothing");

    // A cancelled booking no longer counts.
    let cancelled = cancel_booking(&url, &token, &first).await;
    assert_eq!(
        cancelled["data"]["cancelBooking"]["status"], "CANCELLED",
        "{cancelled}"
    );
    id_of(&create_booking(&url, &token, &seeded.showtime_id, &["A-3"]).await);
    assert_eq!(holdings(&booking.database, user).await, (2, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_third_pending_booking_is_refused_with_hold_limit_on_postgres() {
    a_third_pending_booking_is_refused_until_one_is_cancelled(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_third_pending_booking_is_refused_with_hold_limit_on_sqlite() {
    a_third_pending_booking_is_refused_until_one_is_cancelled(Engine::Sqlite).await;
}

/// `calls` concurrent createBooking calls of one customer, each for its own `per_call` seats.
async fn race(url: &str, token: &str, showtime: &str, calls: usize, per_call: usize) -> Vec<Value> {
    let rows = ["A", "B", "C", "D", "E"];
    let mut tasks = Vec::new();
    for i in 0..calls {
        let seats: Vec<String> = (0..per_call)
            .map(|j| {
                let n = i * per_call + j;
                format!("{}-{}", rows[n / 8], n % 8 + 1)
            })
            .collect();
        let (url, token, showtime) = (url.to_owned(), token.to_owned(), showtime.to_owned());
        tasks.push(tokio::spawn(async move {
            let seats: Vec<&str> = seats.iter().map(String::as_str).collect();
            create_booking(&url, &token, &showtime, &seats).await
        }));
    }
    let mut answers = Vec::new();
    for task in tasks {
        answers.push(task.await.expect("task"));
    }
    answers
}

fn tally(answers: &[Value]) -> (usize, HashSet<String>) {
    let ok = answers.iter().filter(|a| a["errors"].is_null()).count();
    let codes = answers.iter().filter_map(error_code).collect();
    (ok, codes)
}

async fn ten_racing_bookings_of_one_customer_leave_exactly_two_pending(engine: Engine) {
    let cluster = Cluster::start(engine).await;
    let seeded = cluster.seed(5, 8, SHOW).await;
    let booking = start(&cluster, engine, |_| {}).await;
    let (user, token) = cluster.customer("Racer").await;
    let answers = race(&booking.url(), &token, &seeded.showtime_id, 10, 1).await;
    let (ok, codes) = tally(&answers);
    assert_eq!(ok, 2, "{answers:?}");
    assert_eq!(
        codes,
        HashSet::from(["HOLD_LIMIT".to_owned()]),
        "{answers:?}"
    );
    assert_eq!(holdings(&booking.database, user).await, (2, 2));
    let held = cluster.seat_states(&seeded.showtime_id).await;
    assert_eq!(held.iter().filter(|s| s.1 == "held").count(), 2, "{held:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_racing_bookings_of_one_customer_leave_exactly_two_pending_on_postgres() {
    ten_racing_bookings_of_one_customer_leave_exactly_two_pending(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_racing_bookings_of_one_customer_leave_exactly_two_pending_on_sqlite() {
    ten_racing_bookings_of_one_customer_leave_exactly_two_pending(Engine::Sqlite).await;
}

async fn racing_bookings_never_hold_more_than_ten_seats_of_a_showtime(engine: Engine) {
    let cluster = Cluster::start(engine).await;
    let seeded = cluster.seed(5, 8, SHOW).await;
    // Only the seat limit binds here.
    let booking = start(&cluster, engine, |s| s.max_pending_bookings = 100).await;
    let (user, token) = cluster.customer("Grabber").await;
    let answers = race(&booking.url(), &token, &seeded.showtime_id, 10, 3).await;
    let (ok, codes) = tally(&answers);
    assert_eq!(
        ok, 3,
        "3 x 3 seats fit in 10, a fourth would not: {answers:?}"
    );
    assert_eq!(
        codes,
        HashSet::from(["HOLD_LIMIT".to_owned()]),
        "{answers:?}"
    );
    let refused = answers
        .iter()
        .find(|a| !a["errors"].is_null())
        .expect("one refused");
    assert_eq!(
        refused["errors"][0]["extensions"]["limit"],
        "max_seats_per_customer_per_showtime"
    );
    assert_eq!(holdings(&booking.database, user).await, (3, 9));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_bookings_never_hold_more_than_ten_seats_of_a_showtime_on_postgres() {
    racing_bookings_never_hold_more_than_ten_seats_of_a_showtime(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_bookings_never_hold_more_than_ten_seats_of_a_showtime_on_sqlite() {
    racing_bookings_never_hold_more_than_ten_seats_of_a_showtime(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn seats_per_showtime_count_what_was_bought_as_well_as_what_is_held() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 8, SHOW).await;
    let other = cluster.seed(2, 8, SHOW).await;
    let booking = start(&cluster, Engine::Postgres, |_| {}).await;
    let url = booking.url();
    let (user, token) = cluster.customer("Family").await;
    let six = ["A-1", "A-2", "A-3", "A-4", "A-5", "A-6"];
    let bought = id_of(&create_booking(&url, &token, &seeded.showtime_id, &six).await);
    let paid = pay_booking(&url, &token, &bought, CARD_OK, "pay").await;
    assert_eq!(paid["data"]["payBooking"]["status"], "CONFIRMED", "{paid}");

    let five = create_booking(
        &url,
        &token,
        &seeded.showtime_id,
        &["B-1", "B-2", "B-3", "B-4", "B-5"],
    )
    .await;
    assert_eq!(error_code(&five).as_deref(), Some("HOLD_LIMIT"), "{five}");
    assert_eq!(
        five["errors"][0]["extensions"]["limit"],
        "max_seats_per_customer_per_showtime"
    );
    // Another showtime is counted on its own.
    id_of(
        &create_booking(
            &url,
            &token,
            &other.showtime_id,
            &["B-1", "B-2", "B-3", "B-4", "B-5"],
        )
        .await,
    );
    id_of(
        &create_booking(
            &url,
            &token,
            &seeded.showtime_id,
            &["B-1", "B-2", "B-3", "B-4"],
        )
        .await,
    );
    assert_eq!(holdings(&booking.database, user).await, (2, 15));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_declined_payment_after_the_hold_ran_out_leaves_hold_expires_at_unchanged() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 4, SHOW).await;
    // The hold lapses at the cinema (1 s, so no margin), and our expiry worker does not get
    // to the booking before the payment: the payment re-holds the seats to charge.
    let booking = start(&cluster, Engine::Postgres, |s| {
        s.hold_ttl_secs = 1;
        s.expiry_interval_ms = 3_600_000;
    })
    .await;
    let url = booking.url();
    let (_, token) = cluster.customer("Stalling").await;
    let created = create_booking(&url, &token, &seeded.showtime_id, &["A-1"]).await;
    let id = id_of(&created);
    let promised = created["data"]["createBooking"]["holdExpiresAt"].clone();
    assert!(promised.is_string(), "{created}");
    eventually("the cinema frees the seat", || async {
        cluster
            .seat_states(&seeded.showtime_id)
            .await
            .iter()
            .all(|s| s.1 == "available")
    })
    .await;

    let declined = pay_booking(&url, &token, &id, CARD_DECLINED, "declined").await;
    assert_eq!(
        error_code(&declined).as_deref(),
        Some("PAYMENT_DECLINED"),
        "{declined}"
    );
    let after = booking_status(&url, &token, &id).await;
    assert_eq!(
        after["data"]["booking"]["holdExpiresAt"], promised,
        "{after}"
    );
    // The row the expiry worker acts on keeps the lapsed deadline, so it ends the booking
    // (and releases the re-hold) as it would have without the attempt.
    let id = uuid::Uuid::parse_str(&id).expect("uuid");
    let expires: (Option<chrono::DateTime<chrono::Utc>>,) = match &booking.database {
        Database::Postgres(pool) => {
            sqlx::query_as("SELECT hold_expires_at FROM bookings WHERE id = $1")
                .bind(id)
                .fetch_one(pool)
                .await
        }
        Database::Sqlite(_) => unreachable!("PostgreSQL only"),
    }
    .expect("booking");
    assert!(
        expires.0.is_some_and(|t| t < chrono::Utc::now()),
        "{expires:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_sixth_attempt_after_five_declines_never_reaches_payments() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 4, SHOW).await;
    let booking = start(&cluster, Engine::Postgres, |_| {}).await;
    let url = booking.url();
    let (_, token) = cluster.customer("CardTester").await;
    let id = id_of(&create_booking(&url, &token, &seeded.showtime_id, &["A-1"]).await);
    for attempt in 1..=5 {
        let declined = pay_booking(&url, &token, &id, CARD_DECLINED, &format!("k{attempt}")).await;
        assert_eq!(
            error_code(&declined).as_deref(),
            Some("PAYMENT_DECLINED"),
            "{declined}"
        );
    }
    // A retry of an attempt already made is not a new attempt: it gets the same answer.
    let retried = pay_booking(&url, &token, &id, CARD_DECLINED, "k5").await;
    assert_eq!(
        error_code(&retried).as_deref(),
        Some("PAYMENT_DECLINED"),
        "{retried}"
    );

    let sixth = pay_booking(&url, &token, &id, CARD_OK, "k6").await;
    assert_eq!(
        error_code(&sixth).as_deref(),
        Some("PAYMENT_ATTEMPTS_EXCEEDED"),
        "{sixth}"
    );
    assert_eq!(payments_of(&cluster, &id).await, vec!["declined"; 5]);
    let status = booking_status(&url, &token, &id).await;
    assert_eq!(status["data"]["booking"]["status"], "PENDING", "{status}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_customer_whose_first_card_is_declined_pays_with_the_next() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 4, SHOW).await;
    let booking = start(&cluster, Engine::Postgres, |_| {}).await;
    let url = booking.url();
    let (_, token) = cluster.customer("Ordinary").await;
    let id = id_of(&create_booking(&url, &token, &seeded.showtime_id, &["A-1", "A-2"]).await);
    let declined = pay_booking(&url, &token, &id, CARD_DECLINED, "first").await;
    assert_eq!(
        error_code(&declined).as_deref(),
        Some("PAYMENT_DECLINED"),
        "{declined}"
    );
    let paid = pay_booking(&url, &token, &id, CARD_OK, "second").await;
    assert_eq!(paid["data"]["payBooking"]["status"], "CONFIRMED", "{paid}");
    assert_eq!(
        payments_of(&cluster, &id).await,
        vec!["declined", "succeeded"]
    );
}
