//! The whole customer journey against the real users, cinema and payments services:
//! browse → createBooking → payBooking (declined, then paid) → tickets → booking.confirmed →
//! cancelBooking → refund; and a pending booking cancelled → seats free again.

mod common;

use std::time::Duration;

use boxoffice_booking::saga::Faults;
use common::*;
use serde_json::{Value, json};

const FUTURE_SHOW: &str = "2030-01-01T18:00:00Z";

async fn whole_flow(engine: Engine) {
    let cluster = Cluster::start(engine).await;
    let seeded = cluster.seed(3, 6, FUTURE_SHOW).await;
    let (bus, events) = memory_bus().await;
    let db = database_url(engine).await;
    let booking = Booking::start(
        &cluster,
        cluster.booking_settings(&db),
        bus,
        Faults::default(),
    )
    .await;
    let url = booking.url();
    let (user_id, token) = cluster.customer("Ada").await;

    // Browse: the catalog and the seat map through the cinema service.
    let browse = gql(
        &url,
        None,
        // One showtime's seat map: every showtime's map at once is over the anonymous cost
        // budget (ADR 0503).
        "query($m: ID!, $s: ID!) { movies { id title } cinemas { name address timeZone } \
         showtimes(movieId: $m) { id startsAt endsAt auditorium { name } movie { title } cinema { name } } \
         showtime(id: $s) { seatMap { rows { label seats { id status type price { amount currency } } } } } }",
        json!({"m": seeded.movie_id, "s": seeded.showtime_id}),
    )
    .await;
    assert!(browse["errors"].is_null(), "{browse}");
    assert_eq!(browse["data"]["movies"][0]["title"], "Heat");
    assert_eq!(browse["data"]["cinemas"][0]["timeZone"], "Europe/Berlin");
    let showtime = &browse["data"]["showtimes"][0];
    assert_eq!(showtime["id"], seeded.showtime_id.as_str());
    assert_eq!(showtime["movie"]["title"], "Heat");
    let showtime = &browse["data"]["showtime"];
    assert_eq!(showtime["seatMap"]["rows"][0]["seats"][0]["id"], "A-1");
    assert_eq!(
        showtime["seatMap"]["rows"][0]["seats"][0]["status"],
        "AVAILABLE"
    );
    assert_eq!(
        showtime["seatMap"]["rows"][0]["seats"][0]["price"]["amount"],
        1200
    );

    // Book two seats: held, PENDING, total from the showtime's prices.
    let created = create_booking(&url, &token, &seeded.showtime_id, &["A-1", "A-2"]).await;
    assert!(created["errors"].is_null(), "{created}");
    let b = &created["data"]["createBooking"];
    let booking_id = b["id"].as_str().expect("id").to_owned();
    assert_eq!(b["status"], "PENDING");
    assert_eq!(b["total"], json!({"amount": 2400, "currency": "EUR"}));
    assert!(b["holdExpiresAt"].is_string());
    assert_eq!(b["seats"][0]["status"], "HELD");
    let states = cluster.seat_states(&seeded.showtime_id).await;
    assert!(
        states.iter().filter(|s| s.1 == "held").count() == 2,
        "{states:?}"
    );

    // A declined card: PAYMENT_DECLINED, still PENDING, another card may be tried.
    let declined = pay_booking(&url, &token, &booking_id, CARD_DECLINED, "try-1").await;
    assert_eq!(
        error_code(&declined).as_deref(),
        Some("PAYMENT_DECLINED"),
        "{declined}"
    );
    let after = booking_status(&url, &token, &booking_id).await;
    assert_eq!(after["data"]["booking"]["status"], "PENDING");

    // A good card: CONFIRMED with one ticket per seat.
    let paid = pay_booking(&url, &token, &booking_id, CARD_OK, "try-2").await;
    assert!(paid["errors"].is_null(), "{paid}");
    let b = &paid["data"]["payBooking"];
    assert_eq!(b["status"], "CONFIRMED");
    let tickets = b["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), 2);
    assert_ne!(tickets[0]["code"], tickets[1]["code"]);
    assert!(tickets[0]["qrSvg"].as_str().expect("svg").contains("<svg"));
    assert!(tickets[0]["code"].as_str().expect("code").len() >= 26);

    // Paying again with the same key is a replay: no second charge.
    let again = pay_booking(&url, &token, &booking_id, CARD_OK, "try-2").await;
    assert_eq!(
        again["data"]["payBooking"]["status"], "CONFIRMED",
        "{again}"
    );
    assert_eq!(captures(&cluster, &booking_id).await, vec![(2400, 0)]);
    let states = cluster.seat_states(&seeded.showtime_id).await;
    assert_eq!(
        states.iter().filter(|s| s.1 == "sold").count(),
        2,
        "{states:?}"
    );

    // booking.confirmed carries what the notification needs.
    eventually("booking.confirmed", || async {
        !events.of_type("booking.confirmed").is_empty()
    })
    .await;
    let confirmed = events.of_type("booking.confirmed");
    assert_eq!(confirmed.len(), 1);
    let data = &confirmed[0].data;
    assert_eq!(data["booking_id"], booking_id.as_str());
    assert_eq!(data["user_id"], user_id.to_string());
    assert!(
        data["recipient"]["email"]
            .as_str()
            .expect("email")
            .starts_with("ada-")
    );
    assert_eq!(data["recipient"]["name"], "Ada");
    assert_eq!(data["movie_title"], "Heat");
    assert_eq!(data["cinema"]["address"], "1 Main St");
    assert_eq!(data["cinema"]["time_zone"], "Europe/Berlin");
    assert_eq!(data["seats"], json!(["A-1", "A-2"]));
    assert_eq!(data["tickets"].as_array().expect("tickets").len(), 2);
    assert_eq!(data["total"], json!({"amount": 2400, "currency": "EUR"}));

    // Cancel the paid booking long before the show: refunded in full.
    let cancelled = cancel_booking(&url, &token, &booking_id).await;
    assert!(cancelled["errors"].is_null(), "{cancelled}");
    assert_eq!(cancelled["data"]["cancelBooking"]["status"], "REFUNDED");
    assert_eq!(captures(&cluster, &booking_id).await, vec![(2400, 2400)]);
    eventually("booking.refunded", || async {
        events.of_type("booking.refunded").len() == 1
    })
    .await;
    let mine = gql(
        &url,
        Some(&token),
        "{ myBookings { id status } }",
        json!({}),
    )
    .await;
    assert_eq!(mine["data"]["myBookings"][0]["status"], "REFUNDED");
}

/// (amount, amount_refunded) of the succeeded payments of a booking.
async fn captures(cluster: &Cluster, booking_id: &str) -> Vec<(i64, i64)> {
    let id = uuid::Uuid::parse_str(booking_id).expect("uuid");
    let sql = "SELECT amount, amount_refunded FROM payments WHERE booking_id = $1 AND status = 'succeeded'";
    match &cluster.payments_db {
        boxoffice_store::Database::Postgres(pool) => {
            sqlx::query_as(sql).bind(id).fetch_all(pool).await
        }
        boxoffice_store::Database::Sqlite(pool) => {
            sqlx::query_as(sql).bind(id).fetch_all(pool).await
        }
    }
    .expect("payments")
}

async fn pending_cancel_frees_the_seats_and_subscribers_see_it(engine: Engine) {
    let cluster = Cluster::start(engine).await;
    let seeded = cluster.seed(2, 4, FUTURE_SHOW).await;
    let (bus, events) = memory_bus().await;
    let db = database_url(engine).await;
    let booking = Booking::start(
        &cluster,
        cluster.booking_settings(&db),
        bus,
        Faults::default(),
    )
    .await;
    let url = booking.url();
    let (_, token) = cluster.customer("Bo").await;

    // GraphiQL on GET.
    let page = reqwest::get(&url)
        .await
        .expect("get")
        .text()
        .await
        .expect("html");
    assert!(page.to_lowercase().contains("graphiql"));

    let mut ws = WsClient::connect(booking.addr).await;
    ws.subscribe(
        "1",
        "subscription($id: ID!) { seatMapUpdates(showtimeId: $id) { showtimeId seatId status version } }",
        json!({"id": seeded.showtime_id}),
    )
    .await;
    // The subscription is live once changes arrive; poke seat B-4 until one does.
    let mut first = None;
    for _ in 0..50 {
        let poke = create_booking(&url, &token, &seeded.showtime_id, &["B-4"]).await;
        let id = poke["data"]["createBooking"]["id"]
            .as_str()
            .expect("poke")
            .to_owned();
        cancel_booking(&url, &token, &id).await;
        first = ws.next_json(Duration::from_millis(300)).await;
        if first.is_some() {
            break;
        }
    }
    let first = first.expect("a seat update");
    assert_eq!(first["type"], "next", "{first}");

    let created = create_booking(&url, &token, &seeded.showtime_id, &["A-3"]).await;
    let booking_id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut saw: Vec<Value> = Vec::new();
    while let Some(message) = ws.next_json(Duration::from_secs(10)).await {
        let update = message["payload"]["data"]["seatMapUpdates"].clone();
        saw.push(update.clone());
        if update["seatId"] == "A-3" && update["status"] == "HELD" {
            break;
        }
    }
    assert!(
        saw.iter()
            .any(|u| u["seatId"] == "A-3" && u["status"] == "HELD"),
        "{saw:?}"
    );

    let cancelled = cancel_booking(&url, &token, &booking_id).await;
    assert_eq!(
        cancelled["data"]["cancelBooking"]["status"], "CANCELLED",
        "{cancelled}"
    );
    let states = cluster.seat_states(&seeded.showtime_id).await;
    assert!(states.iter().all(|s| s.1 == "available"), "{states:?}");
    // Cancelling again is a clear error, not a second release.
    let twice = cancel_booking(&url, &token, &booking_id).await;
    assert_eq!(
        error_code(&twice).as_deref(),
        Some("BAD_USER_INPUT"),
        "{twice}"
    );
    eventually("booking.cancelled", || async {
        !events.of_type("booking.cancelled").is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_flow_on_postgres() {
    whole_flow(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn whole_flow_on_sqlite() {
    whole_flow(Engine::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_cancelled_pending_booking_frees_its_seats_and_subscribers_see_the_changes() {
    pending_cancel_frees_the_seats_and_subscribers_see_it(Engine::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_paid_booking_cannot_be_cancelled_inside_the_refund_cutoff() {
    let cluster = Cluster::start(Engine::Postgres).await;
    // The show starts in an hour; the default policy refunds until two hours before.
    let soon = (chrono::Utc::now() + chrono::Duration::hours(1))
        .format("%Y-%m-%dT%H:%M:%SZ")
        .to_string();
    let seeded = cluster.seed(1, 4, &soon).await;
    let (bus, _) = memory_bus().await;
    let db = database_url(Engine::Postgres).await;
    let booking = Booking::start(
        &cluster,
        cluster.booking_settings(&db),
        bus,
        Faults::default(),
    )
    .await;
    let url = booking.url();
    let (_, token) = cluster.customer("Late").await;
    let created = create_booking(&url, &token, &seeded.showtime_id, &["A-1"]).await;
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let paid = pay_booking(&url, &token, &id, CARD_OK, "k").await;
    assert_eq!(paid["data"]["payBooking"]["status"], "CONFIRMED", "{paid}");

    let refused = cancel_booking(&url, &token, &id).await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("BAD_USER_INPUT"),
        "{refused}"
    );
    assert!(
        refused["errors"][0]["message"]
            .as_str()
            .expect("message")
            .contains("refund")
    );
    let still = booking_status(&url, &token, &id).await;
    assert_eq!(still["data"]["booking"]["status"], "CONFIRMED");
    assert_eq!(captures(&cluster, &id).await, vec![(1200, 0)]);
}

fn seat_status(answer: &Value, seat: &str) -> String {
    answer["data"]["showtime"]["seatMap"]["rows"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|row| row["seats"].as_array().cloned().unwrap_or_default())
        .find(|s| s["id"] == seat)
        .and_then(|s| s["status"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// The seat-map query of the cache tests: statuses only.
const SEAT_MAP: &str =
    "query($id: ID!) { showtime(id: $id) { seatMap { rows { seats { id status } } } } }";

/// A booking service on PostgreSQL whose seat maps are kept for a minute: long enough that
/// only a change through this instance, not expiry, can explain a fresh answer. Two customers.
struct Kept {
    _cluster: Cluster,
    seeded: Seeded,
    db: String,
    booking: Booking,
    ada: String,
    bob: String,
}

impl Kept {
    async fn start() -> Self {
        let cluster = Cluster::start(Engine::Postgres).await;
        let seeded = cluster.seed(2, 5, FUTURE_SHOW).await;
        let (bus, _) = memory_bus().await;
        let db = database_url(Engine::Postgres).await;
        let mut settings = cluster.booking_settings(&db);
        settings.seat_map_cache_ms = 60_000;
        let booking = Booking::start(&cluster, settings, bus, Faults::default()).await;
        let (_, ada) = cluster.customer("Ada").await;
        let (_, bob) = cluster.customer("Bob").await;
        Self {
            _cluster: cluster,
            seeded,
            db,
            booking,
            ada,
            bob,
        }
    }
}

/// A kept seat map refuses seats this instance just saw taken, with nothing written for the
/// refused attempt; seats it shows free still go to the cinema service.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_seat_taken_through_this_instance_is_refused_before_anything_is_written() {
    let Kept {
        _cluster,
        seeded,
        db,
        booking,
        ada,
        bob,
    } = Kept::start().await;
    let url = booking.url();
    let map = SEAT_MAP;
    let answer = gql(&url, None, map, json!({"id": seeded.showtime_id})).await;
    assert_eq!(seat_status(&answer, "A-2"), "AVAILABLE", "{answer}");

    let created = create_booking(&url, &ada, &seeded.showtime_id, &["A-1", "A-2"]).await;
    assert!(created["errors"].is_null(), "{created}");
    let refused = create_booking(&url, &bob, &seeded.showtime_id, &["A-2", "A-3"]).await;
    assert_eq!(
        error_code(&refused).as_deref(),
        Some("SEATS_UNAVAILABLE"),
        "{refused}"
    );
    assert_eq!(refused["errors"][0]["extensions"]["seats"], json!(["A-2"]));
    let pool = sqlx::PgPool::connect(&db).await.expect("booking database");
    let (bookings, log_lines): (i64, i64) =
        sqlx::query_as("SELECT (SELECT count(*) FROM bookings), (SELECT count(*) FROM saga_log)")
            .fetch_one(&pool)
            .await
            .expect("count");
    assert_eq!(bookings, 1, "the refused attempt wrote no booking");
    assert_eq!(log_lines, 2, "only Ada's holding started and done");

    // The map refuses only what it shows taken: a free seat is still booked.
    let other = create_booking(&url, &bob, &seeded.showtime_id, &["A-3"]).await;
    assert!(other["errors"].is_null(), "{other}");
    let answer = gql(&url, None, map, json!({"id": seeded.showtime_id})).await;
    assert_eq!(seat_status(&answer, "A-3"), "HELD", "{answer}");
}

/// Seat maps (and whole answers showing them) are reused between requests: a customer must
/// still see their own hold and sale on the very next read, and a personal answer must never
/// be given to somebody else.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn kept_answers_show_a_booking_at_once_and_are_never_shared_when_personal() {
    let Kept {
        _cluster,
        seeded,
        db: _,
        booking,
        ada,
        bob,
    } = Kept::start().await;
    let url = booking.url();
    let map = SEAT_MAP;
    let vars = json!({"id": seeded.showtime_id});

    for _ in 0..3 {
        let answer = gql(&url, Some(&ada), map, vars.clone()).await;
        assert_eq!(seat_status(&answer, "A-1"), "AVAILABLE", "{answer}");
    }
    let created = create_booking(&url, &ada, &seeded.showtime_id, &["A-1"]).await;
    assert!(created["errors"].is_null(), "{created}");
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let answer = gql(&url, None, map, vars.clone()).await;
    assert_eq!(seat_status(&answer, "A-1"), "HELD", "{answer}");
    let paid = pay_booking(&url, &ada, &id, CARD_OK, "k1").await;
    assert!(paid["errors"].is_null(), "{paid}");
    let answer = gql(&url, Some(&bob), map, vars.clone()).await;
    assert_eq!(seat_status(&answer, "A-1"), "SOLD", "{answer}");

    let mine = "{ myBookings { id } }";
    let ada_sees = gql(&url, Some(&ada), mine, json!({})).await;
    assert_eq!(
        ada_sees["data"]["myBookings"].as_array().map(Vec::len),
        Some(1)
    );
    let bob_sees = gql(&url, Some(&bob), mine, json!({})).await;
    assert_eq!(
        bob_sees["data"]["myBookings"].as_array().map(Vec::len),
        Some(0),
        "{bob_sees}"
    );
    let nobody_sees = gql(&url, None, mine, json!({})).await;
    assert_eq!(
        error_code(&nobody_sees).as_deref(),
        Some("UNAUTHENTICATED"),
        "{nobody_sees}"
    );
}
