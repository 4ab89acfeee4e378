//! RabbitMQ unavailable for a while: bookings still succeed (the events wait in the outbox),
//! and once the broker is back every event is published; none is lost.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use boxoffice_booking::saga::Faults;
use boxoffice_events::testing::TestVhost;
use boxoffice_events::{EventEnvelope, RabbitBus, Subscription};
use boxoffice_store::Database;
use common::*;

async fn unpublished(database: &Database) -> i64 {
    let sql = "SELECT count(*) FROM outbox WHERE published_at IS NULL";
    let (n,): (i64,) = match database {
        Database::Postgres(pool) => sqlx::query_as(sql).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).fetch_one(pool).await,
    }
    .expect("outbox");
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bookings_succeed_while_rabbitmq_is_down_and_their_events_follow_once_it_is_back() {
    let vhost = TestVhost::create().await.expect("vhost");
    let bus = RabbitBus::new(vhost.url.clone());
    let audit = Subscription::new("audit", &boxoffice_events::payloads::ALL_EVENT_TYPES);
    bus.declare_subscription(&audit).await.expect("queue");

    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 5, "2030-01-01T18:00:00Z").await;
    let db = database_url(Engine::Postgres).await;
    let booking = Booking::start(
        &cluster,
        cluster.booking_settings(&db),
        Arc::new(bus),
        Faults::default(),
    )
    .await;
    let url = booking.url();
    vhost.take_down().await.expect("broker down");

    let mut ids = HashSet::new();
    for (i, seat) in ["A-1", "A-2", "B-1"].iter().enumerate() {
        let (_, token) = cluster.customer(&format!("Down{i}")).await;
        let created = create_booking(&url, &token, &seeded.showtime_id, &[seat]).await;
        let id = created["data"]["createBooking"]["id"]
            .as_str()
            .expect("id")
            .to_owned();
        let paid = pay_booking(&url, &token, &id, CARD_OK, "k").await;
        assert_eq!(paid["data"]["payBooking"]["status"], "CONFIRMED", "{paid}");
        ids.insert(id);
    }
    assert_eq!(
        unpublished(&booking.database).await,
        3,
        "the events wait in the outbox"
    );

    vhost.bring_up().await.expect("broker up");
    eventually("the outbox drains", || async {
        unpublished(&booking.database).await == 0
    })
    .await;
    let taken = vhost.drain("audit").await.expect("drain");
    let confirmed: HashSet<String> = taken
        .iter()
        .filter_map(|m| serde_json::from_slice::<EventEnvelope>(&m.body).ok())
        .filter(|e| e.event_type == "booking.confirmed")
        .filter_map(|e| e.data["booking_id"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(confirmed, ids);
}
