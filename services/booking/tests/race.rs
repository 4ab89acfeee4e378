//! 200 customers book overlapping seats at once; then an audit across the booking, cinema and
//! payments databases proves that no seat was sold twice and every capture is accounted for.

mod common;

use std::collections::{HashMap, HashSet};

use boxoffice_booking::saga::Faults;
use boxoffice_store::Database;
use common::*;
use uuid::Uuid;

const CUSTOMERS: usize = 200;

/// A tiny deterministic PRNG (xorshift64*), so that a failing run can be replayed.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
    }
}

async fn rows<T>(database: &Database, sql: &'static str) -> Vec<T>
where
    T: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
{
    match database {
        Database::Postgres(pool) => sqlx::query_as(sql)
            .fetch_all(pool)
            .await
            .expect("audit query"),
        Database::Sqlite(_) => panic!("the race test runs on PostgreSQL"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_hundred_customers_on_overlapping_seats_never_share_a_seat_or_lose_money() {
    let cluster = Cluster::start(Engine::Postgres).await;
    // 3 rows x 8 = 24 seats for 200 customers asking for 1 to 3 adjacent seats each.
    let seeded = cluster.seed(3, 8, "2030-01-01T18:00:00Z").await;
    let (bus, events) = memory_bus().await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    // Two cores running six services unoptimised with 200 clients: calls queue for CPU far
    // longer than in production, so the timeouts are generous here (the race is the point).
    settings.call_timeout_ms = 30_000;
    settings.payments_timeout_ms = 60_000;
    settings.breaker_threshold = 1_000;
    settings.lease_secs = 600;
    let booking = Booking::start(&cluster, settings, bus, Faults::default()).await;
    let url = booking.url();

    let mut tokens = Vec::with_capacity(CUSTOMERS);
    for i in 0..CUSTOMERS {
        tokens.push(cluster.customer(&format!("C{i}")).await.1);
    }
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let mut wishes = Vec::with_capacity(CUSTOMERS);
    for _ in 0..CUSTOMERS {
        let row = ["A", "B", "C"][rng.below(3) as usize];
        let count = 1 + rng.below(3);
        let start = 1 + rng.below(8 - count + 1);
        let seats: Vec<String> = (start..start + count)
            .map(|n| format!("{row}-{n}"))
            .collect();
        // Every fifth customer's first card is declined, so retries are part of the race.
        wishes.push((seats, rng.below(5) == 0));
    }

    let runs = tokens
        .iter()
        .zip(wishes)
        .map(|(token, (seats, decline_first))| {
            let (url, showtime) = (url.clone(), seeded.showtime_id.clone());
            async move {
                let seats: Vec<&str> = seats.iter().map(String::as_str).collect();
                let created = create_booking(&url, token, &showtime, &seats).await;
                let Some(id) = created["data"]["createBooking"]["id"].as_str() else {
                    let code = error_code(&created);
                    assert!(
                        matches!(code.as_deref(), Some("SEATS_UNAVAILABLE")),
                        "unexpected create outcome: {created}"
                    );
                    return None;
                };
                if decline_first {
                    let declined = pay_booking(&url, token, id, CARD_DECLINED, "first").await;
                    assert_eq!(error_code(&declined).as_deref(), Some("PAYMENT_DECLINED"));
                }
                let paid = pay_booking(&url, token, id, CARD_OK, "second").await;
                assert_eq!(paid["data"]["payBooking"]["status"], "CONFIRMED", "{paid}");
                Some(id.to_owned())
            }
        });
    let confirmed_ids: Vec<String> = futures::future::join_all(runs)
        .await
        .into_iter()
        .flatten()
        .collect();
    assert!(!confirmed_ids.is_empty());

    // Booking database: no seat in two CONFIRMED bookings; nothing left in flight.
    let bookings: Vec<(Uuid, Uuid, String, String, i64, String)> = rows(
        &booking.database,
        "SELECT id, hold_id, status, seat_ids, total_amount, step FROM bookings",
    )
    .await;
    assert!(bookings.iter().all(|b| {
        !["holding", "charging", "charged", "refunding", "releasing"].contains(&b.5.as_str())
    }));
    let confirmed: Vec<_> = bookings.iter().filter(|b| b.2 == "CONFIRMED").collect();
    assert_eq!(confirmed.len(), confirmed_ids.len());
    let mut seat_owner: HashMap<String, Uuid> = HashMap::new();
    for b in &confirmed {
        let seats: Vec<String> = serde_json::from_str(&b.3).expect("seats");
        for seat in seats {
            if let Some(other) = seat_owner.insert(seat.clone(), b.0) {
                panic!("seat {seat} is in CONFIRMED bookings {other} and {}", b.0);
            }
        }
    }

    // Payments: each CONFIRMED booking has exactly one net capture equal to its total; every
    // other capture was refunded.
    let payments: Vec<(Uuid, i64, i64)> = rows(
        &cluster.payments_db,
        "SELECT booking_id, amount, amount_refunded FROM payments WHERE status = 'succeeded'",
    )
    .await;
    let confirmed_set: HashSet<Uuid> = confirmed.iter().map(|b| b.0).collect();
    for b in &confirmed {
        let net: Vec<i64> = payments
            .iter()
            .filter(|p| p.0 == b.0)
            .map(|p| p.1 - p.2)
            .filter(|net| *net > 0)
            .collect();
        assert_eq!(net, vec![b.4], "booking {} net captures", b.0);
    }
    for p in &payments {
        assert!(
            confirmed_set.contains(&p.0) || p.1 == p.2,
            "capture for booking {} is neither confirmed nor refunded",
            p.0
        );
    }

    // Cinema: every CONFIRMED booking's seats are SOLD to its hold.
    let seats: Vec<(String, String, Option<Uuid>)> = rows(
        &cluster.cinema_db,
        "SELECT seat_id, status, hold_id FROM showtime_seats",
    )
    .await;
    let sold: HashMap<&str, Option<Uuid>> = seats
        .iter()
        .filter(|s| s.1 == "sold")
        .map(|s| (s.0.as_str(), s.2))
        .collect();
    for b in &confirmed {
        let booked: Vec<String> = serde_json::from_str(&b.3).expect("seats");
        for seat in booked {
            assert_eq!(
                sold.get(seat.as_str()),
                Some(&Some(b.1)),
                "seat {seat} of {}",
                b.0
            );
        }
    }
    assert_eq!(
        sold.len(),
        seat_owner.len(),
        "no sold seat without a confirmed booking"
    );

    eventually("one booking.confirmed per confirmed booking", || async {
        events.of_type("booking.confirmed").len() >= confirmed.len()
    })
    .await;
    let published: HashSet<String> = events
        .of_type("booking.confirmed")
        .iter()
        .map(|e| e.data["booking_id"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(published.len(), confirmed.len());
}
