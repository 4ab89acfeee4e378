//! What the web shop reads besides the contract's first version: aisles in the seat map and the
//! booking policy.

mod common;

use boxoffice_booking::saga::Faults;
use common::*;
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_seat_map_shows_the_aisles_and_anyone_can_read_the_booking_policy() {
    let cluster = Cluster::start(Engine::Sqlite).await;
    let mut layout = boxoffice_cinema::domain::Layout::grid(2, 6);
    layout.rows[0].gaps_after = vec![3];
    layout.rows[1].gaps_after = vec![1, 5];
    let seeded = cluster
        .seed_with_layout(&layout, "2030-01-01T18:00:00Z")
        .await;
    let (bus, _) = memory_bus().await;
    let db = database_url(Engine::Sqlite).await;
    let mut settings = cluster.booking_settings(&db);
    settings.max_seats_per_booking = 7;
    settings.hold_ttl_secs = 321;
    settings.refund_cutoff_minutes = 45;
    // Long enough that the read after the hold is the kept map with the hold written into it.
    settings.seat_map_cache_ms = 60_000;
    let booking = Booking::start(&cluster, settings, bus, Faults::default()).await;

    let answer = gql(
        &booking.url(),
        None,
        "query($id: ID!) { bookingPolicy { maxSeatsPerBooking holdSeconds refundCutoffMinutes }
           showtime(id: $id) { seatMap { rows { label gapsAfter seats { id } } } } }",
        json!({"id": seeded.showtime_id}),
    )
    .await;
    assert_eq!(
        answer["data"]["bookingPolicy"],
        json!({"maxSeatsPerBooking": 7, "holdSeconds": 321, "refundCutoffMinutes": 45}),
        "{answer}"
    );
    let rows = &answer["data"]["showtime"]["seatMap"]["rows"];
    assert_eq!(rows[0]["label"], "A");
    assert_eq!(rows[0]["gapsAfter"], json!([3]));
    assert_eq!(rows[1]["gapsAfter"], json!([1, 5]));
    assert_eq!(rows[1]["seats"].as_array().map(Vec::len), Some(6));

    // After a hold is written into the kept map, the aisles are still there.
    let (_, token) = cluster.customer("Aisle").await;
    let created = create_booking(&booking.url(), &token, &seeded.showtime_id, &["A-4"]).await;
    assert!(created["errors"].is_null(), "{created}");
    let again = gql(
        &booking.url(),
        None,
        "query($id: ID!) { showtime(id: $id) { seatMap { rows { gapsAfter seats { id status } } } } }",
        json!({"id": seeded.showtime_id}),
    )
    .await;
    let rows = &again["data"]["showtime"]["seatMap"]["rows"];
    assert_eq!(rows[0]["gapsAfter"], json!([3]));
    assert_eq!(rows[0]["seats"][3]["status"], "HELD");
}
