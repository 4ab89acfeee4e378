//! Authorization on every booking and the documented error codes for bad input.

mod common;

use boxoffice_booking::saga::Faults;
use common::*;
use serde_json::json;

struct Setup {
    cluster: Cluster,
    booking: Booking,
    seeded: Seeded,
}

async fn setup() -> Setup {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 5, "2030-01-01T18:00:00Z").await;
    let (bus, _) = memory_bus().await;
    let db = database_url(Engine::Postgres).await;
    let booking = Booking::start(
        &cluster,
        cluster.booking_settings(&db),
        bus,
        Faults::default(),
    )
    .await;
    Setup {
        cluster,
        booking,
        seeded,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn another_users_booking_is_not_found_and_left_unchanged() {
    let s = setup().await;
    let url = s.booking.url();
    let (_, owner) = s.cluster.customer("Owner").await;
    let (_, intruder) = s.cluster.customer("Intruder").await;
    let created = create_booking(&url, &owner, &s.seeded.showtime_id, &["A-1"]).await;
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();

    let peek = booking_status(&url, &intruder, &id).await;
    assert_eq!(error_code(&peek).as_deref(), Some("NOT_FOUND"), "{peek}");
    let cancel = cancel_booking(&url, &intruder, &id).await;
    assert_eq!(
        error_code(&cancel).as_deref(),
        Some("NOT_FOUND"),
        "{cancel}"
    );
    let pay = pay_booking(&url, &intruder, &id, CARD_OK, "k").await;
    assert_eq!(error_code(&pay).as_deref(), Some("NOT_FOUND"), "{pay}");
    let theirs = gql(&url, Some(&intruder), "{ myBookings { id } }", json!({})).await;
    assert_eq!(theirs["data"]["myBookings"], json!([]));

    // Nothing changed: still PENDING for its owner, the seat still held.
    let mine = booking_status(&url, &owner, &id).await;
    assert_eq!(mine["data"]["booking"]["status"], "PENDING", "{mine}");
    let states = s.cluster.seat_states(&s.seeded.showtime_id).await;
    assert_eq!(states.iter().filter(|st| st.1 == "held").count(), 1);

    // An admin sees any booking.
    let admin = booking_status(&url, &s.cluster.admin_token, &id).await;
    assert_eq!(admin["data"]["booking"]["id"], id.as_str(), "{admin}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn without_a_valid_token_bookings_are_unauthenticated_but_the_catalog_is_public() {
    let s = setup().await;
    let url = s.booking.url();
    let anonymous = gql(&url, None, "{ myBookings { id } }", json!({})).await;
    assert_eq!(error_code(&anonymous).as_deref(), Some("UNAUTHENTICATED"));
    let forged = create_booking(&url, "not.a.token", &s.seeded.showtime_id, &["A-1"]).await;
    assert_eq!(
        error_code(&forged).as_deref(),
        Some("UNAUTHENTICATED"),
        "{forged}"
    );
    let catalog = gql(&url, None, "{ movies { title } }", json!({})).await;
    assert_eq!(catalog["data"]["movies"][0]["title"], "Heat");
    let (_, token) = s.cluster.customer("Me").await;
    let me = gql(&url, Some(&token), "{ me { name role } }", json!({})).await;
    assert_eq!(me["data"]["me"]["name"], "Me", "{me}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn bad_input_gets_the_documented_codes() {
    let s = setup().await;
    let url = s.booking.url();
    let (_, token) = s.cluster.customer("Eve").await;

    let unknown = create_booking(&url, &token, &uuid::Uuid::now_v7().to_string(), &["A-1"]).await;
    assert_eq!(
        error_code(&unknown).as_deref(),
        Some("NOT_FOUND"),
        "{unknown}"
    );
    let malformed = create_booking(&url, &token, "nope", &["A-1"]).await;
    assert_eq!(
        error_code(&malformed).as_deref(),
        Some("BAD_USER_INPUT"),
        "{malformed}"
    );
    let empty = create_booking(&url, &token, &s.seeded.showtime_id, &[]).await;
    assert_eq!(
        error_code(&empty).as_deref(),
        Some("BAD_USER_INPUT"),
        "{empty}"
    );
    let duplicate = create_booking(&url, &token, &s.seeded.showtime_id, &["A-1", "a-1"]).await;
    assert_eq!(
        error_code(&duplicate).as_deref(),
        Some("BAD_USER_INPUT"),
        "{duplicate}"
    );
    let no_such_seat = create_booking(&url, &token, &s.seeded.showtime_id, &["Z-99"]).await;
    assert_eq!(
        error_code(&no_such_seat).as_deref(),
        Some("BAD_USER_INPUT"),
        "{no_such_seat}"
    );

    // A taken seat: SEATS_UNAVAILABLE naming exactly the taken ones.
    let (_, other) = s.cluster.customer("Other").await;
    let first = create_booking(&url, &other, &s.seeded.showtime_id, &["B-2"]).await;
    assert!(first["errors"].is_null(), "{first}");
    let clash = create_booking(&url, &token, &s.seeded.showtime_id, &["B-1", "B-2"]).await;
    assert_eq!(
        error_code(&clash).as_deref(),
        Some("SEATS_UNAVAILABLE"),
        "{clash}"
    );
    assert_eq!(clash["errors"][0]["extensions"]["seats"], json!(["B-2"]));
    let states = s.cluster.seat_states(&s.seeded.showtime_id).await;
    assert_eq!(
        states.iter().filter(|st| st.1 == "held").count(),
        1,
        "all or nothing"
    );

    // Over the depth limit.
    let deep = format!(
        "{{ {} id {} }}",
        "showtimes { movie { ".repeat(8),
        "} } ".repeat(8)
    );
    let too_deep = gql(&url, None, &deep, json!({})).await;
    assert_eq!(
        error_code(&too_deep).as_deref(),
        Some("BAD_USER_INPUT"),
        "{too_deep}"
    );
    assert!(too_deep["data"].is_null());

    // A 1 MB query.
    let huge = format!("{{ movies {{ title }} }} #{}", "x".repeat(1024 * 1024));
    let response = reqwest::Client::new()
        .post(&url)
        .json(&json!({"query": huge}))
        .send()
        .await
        .expect("post");
    assert_eq!(response.status(), 413);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(
        error_code(&body).as_deref(),
        Some("BAD_USER_INPUT"),
        "{body}"
    );

    // Syntax errors are the client's too.
    let broken = gql(&url, None, "{ movies { ", json!({})).await;
    assert_eq!(
        error_code(&broken).as_deref(),
        Some("BAD_USER_INPUT"),
        "{broken}"
    );
}
