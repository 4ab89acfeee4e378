//! Holds that run out: the expiry worker ends unpaid bookings; paying after the hold lapsed
//! re-holds the same seats if they are free, and otherwise answers HOLD_EXPIRED without
//! charging anything.

mod common;

use boxoffice_booking::saga::Faults;
use common::*;

const SHOW: &str = "2030-01-01T18:00:00Z";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_unpaid_booking_expires_its_seats_are_freed_and_booking_expired_is_published() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 4, SHOW).await;
    let (bus, events) = memory_bus().await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    settings.hold_ttl_secs = 1;
    let booking = Booking::start(&cluster, settings, bus, Faults::default()).await;
    let url = booking.url();
    let (_, token) = cluster.customer("Slow").await;
    let created = create_booking(&url, &token, &seeded.showtime_id, &["A-1"]).await;
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    eventually("the booking expires", || async {
        booking_status(&url, &token, &id).await["data"]["booking"]["status"] == "EXPIRED"
    })
    .await;
    let states = cluster.seat_states(&seeded.showtime_id).await;
    assert!(states.iter().all(|s| s.1 == "available"), "{states:?}");
    eventually("booking.expired", || async {
        events.of_type("booking.expired").len() == 1
    })
    .await;
    let late = pay_booking(&url, &token, &id, CARD_OK, "late").await;
    assert_eq!(error_code(&late).as_deref(), Some("HOLD_EXPIRED"), "{late}");
}

async fn lapsed_booking(cluster: &Cluster, seeded: &Seeded) -> (Booking, String, String) {
    let (bus, _) = memory_bus().await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    // The hold lapses at the cinema, but our expiry worker does not get to it first.
    settings.hold_ttl_secs = 1;
    settings.expiry_interval_ms = 3_600_000;
    let booking = Booking::start(cluster, settings, bus, Faults::default()).await;
    let (_, token) = cluster.customer("Late").await;
    let created =
        create_booking(&booking.url(), &token, &seeded.showtime_id, &["A-1", "A-2"]).await;
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    eventually("the cinema frees the seats", || async {
        cluster
            .seat_states(&seeded.showtime_id)
            .await
            .iter()
            .all(|s| s.1 == "available")
    })
    .await;
    (booking, token, id)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paying_after_the_hold_lapsed_re_holds_free_seats_and_confirms() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 4, SHOW).await;
    let (booking, token, id) = lapsed_booking(&cluster, &seeded).await;
    let paid = pay_booking(&booking.url(), &token, &id, CARD_OK, "k").await;
    assert_eq!(paid["data"]["payBooking"]["status"], "CONFIRMED", "{paid}");
    let states = cluster.seat_states(&seeded.showtime_id).await;
    assert_eq!(states.iter().filter(|s| s.1 == "sold").count(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn paying_after_the_hold_lapsed_and_the_seats_were_taken_is_hold_expired_and_charges_nothing()
{
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 4, SHOW).await;
    let (booking, token, id) = lapsed_booking(&cluster, &seeded).await;
    let (_, rival) = cluster.customer("Rival").await;
    let taken = create_booking(&booking.url(), &rival, &seeded.showtime_id, &["A-2"]).await;
    assert!(taken["errors"].is_null(), "{taken}");

    let paid = pay_booking(&booking.url(), &token, &id, CARD_OK, "k").await;
    assert_eq!(error_code(&paid).as_deref(), Some("HOLD_EXPIRED"), "{paid}");
    let status = booking_status(&booking.url(), &token, &id).await;
    assert_eq!(status["data"]["booking"]["status"], "EXPIRED");
    let booking_id = uuid::Uuid::parse_str(&id).expect("uuid");
    let charges: Vec<(String,)> = match &cluster.payments_db {
        boxoffice_store::Database::Postgres(pool) => {
            sqlx::query_as("SELECT status FROM payments WHERE booking_id = $1")
                .bind(booking_id)
                .fetch_all(pool)
                .await
        }
        boxoffice_store::Database::Sqlite(_) => unreachable!("PostgreSQL only"),
    }
    .expect("payments");
    assert!(charges.is_empty(), "nothing charged: {charges:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn with_the_cinema_service_gone_the_breaker_answers_fast_with_a_clear_error() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let (bus, _) = memory_bus().await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    // Nothing listens on port 9 (discard) on a test machine: every call fails at once.
    settings.cinema_grpc_url = "http://127.0.0.1:9".into();
    settings.breaker_threshold = 2;
    settings.breaker_cooldown_ms = 60_000;
    let booking = Booking::start(&cluster, settings, bus, Faults::default()).await;
    let url = booking.url();
    for _ in 0..2 {
        let failed = gql(&url, None, "{ movies { id } }", serde_json::json!({})).await;
        assert_eq!(error_code(&failed).as_deref(), Some("INTERNAL"), "{failed}");
    }
    let started = std::time::Instant::now();
    let open = gql(&url, None, "{ movies { id } }", serde_json::json!({})).await;
    assert!(started.elapsed() < std::time::Duration::from_millis(500));
    let message = open["errors"][0]["message"].as_str().expect("message");
    assert!(
        message.contains("cinema service is unavailable") && message.contains("circuit open"),
        "{message}"
    );
}
