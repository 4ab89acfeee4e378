//! What a new customer and a member of staff do, end to end, through the gateway only.

use std::collections::HashSet;
use std::time::Duration;

use boxoffice_client::ApiClient;
use chrono::{Duration as Days, Utc};
use mail_parser::MimeHeaders;
use serde_json::{Value, json};

use super::cluster::Cluster;
use super::ws::Subscription;

pub const GOOD_CARD: &str = "4242424242424242";
pub const DECLINED_CARD: &str = "4000000000000002";

pub struct Catalog {
    pub movie_id: String,
    pub showtime_id: String,
}

/// Staff create a cinema, an auditorium, a movie and a showtime tomorrow evening.
pub async fn staff_create_catalog(admin: &ApiClient, tag: &str) -> Catalog {
    let cinema: Value = admin
        .post("/api/v1/admin/cinemas", json!({"name": format!("E2E Cinema {tag}"), "address": "1 Test Street", "time_zone": "Europe/Berlin"}))
        .await
        .expect("create cinema");
    let rows: Vec<Value> = ["A", "B", "C", "D"]
        .iter()
        .map(|label| json!({"label": label, "seats": (1..=8).map(|n| json!({"number": n, "type": "standard"})).collect::<Vec<_>>(), "gaps_after": [4]}))
        .collect();
    let auditorium: Value = admin
        .post(
            &format!(
                "/api/v1/admin/cinemas/{}/auditoriums",
                cinema["id"].as_str().expect("id")
            ),
            json!({"name": "Hall 1", "layout": {"rows": rows}}),
        )
        .await
        .expect("create auditorium");
    let movie: Value = admin
        .post("/api/v1/admin/movies", json!({"title": format!("E2E Movie {tag}"), "runtime_minutes": 110, "rating": "PG", "genres": ["Drama"]}))
        .await
        .expect("create movie");
    let showtime: Value = admin
        .post(
            "/api/v1/admin/showtimes",
            json!({
                "movie_id": movie["id"],
                "auditorium_id": auditorium["id"],
                "starts_at": Utc::now() + Days::days(1),
                "prices": {"currency": "EUR", "standard": 1250, "premium": 1500, "accessible": 1000},
            }),
        )
        .await
        .expect("create showtime");
    Catalog {
        movie_id: movie["id"].as_str().expect("movie id").to_owned(),
        showtime_id: showtime["id"].as_str().expect("showtime id").to_owned(),
    }
}

pub fn card(number: &str) -> Value {
    json!({"number": number, "expMonth": 12, "expYear": 2031, "cvc": "123"})
}

pub async fn seat_statuses(client: &ApiClient, showtime_id: &str) -> Vec<(String, String)> {
    let data = client
        .graphql(
            "query($id: ID!) { showtime(id: $id) { seatMap { rows { seats { id status } } } } }",
            json!({"id": showtime_id}),
        )
        .await
        .expect("seat map");
    data["showtime"]["seatMap"]["rows"]
        .as_array()
        .expect("rows")
        .iter()
        .flat_map(|row| row["seats"].as_array().cloned().unwrap_or_default())
        .map(|seat| {
            (
                seat["id"].as_str().unwrap_or_default().to_owned(),
                seat["status"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

/// Register, browse, watch the seat map, book, pay (declined, then good), get the email with
/// the tickets, cancel and get refunded.
pub async fn customer_journey(cluster: &Cluster, catalog: &Catalog, email: &str) {
    let api = cluster.api();
    let session = api
        .register(email, "popcorn and a good film", "Erin Example")
        .await
        .expect("register");
    assert_eq!(session.user.role, "customer");
    let login = api
        .login(email, "popcorn and a good film")
        .await
        .expect("login");
    let customer = api.with_token(login.access_token.clone());

    let movies = customer
        .graphql("{ movies { id title } }", json!({}))
        .await
        .expect("movies");
    assert!(
        movies["movies"]
            .as_array()
            .expect("list")
            .iter()
            .any(|m| m["id"] == catalog.movie_id.as_str())
    );
    let showtimes = customer
        .graphql("query($m: ID) { showtimes(movieId: $m) { id startsAt cinema { name timeZone } auditorium { name } } }", json!({"m": catalog.movie_id}))
        .await
        .expect("showtimes");
    assert!(
        showtimes["showtimes"]
            .as_array()
            .expect("list")
            .iter()
            .any(|s| s["id"] == catalog.showtime_id.as_str())
    );
    let before = seat_statuses(&customer, &catalog.showtime_id).await;
    assert_eq!(before.len(), 32);
    assert!(before.iter().all(|(_, status)| status == "AVAILABLE"));

    let mut updates = Subscription::open(
        &cluster.gateway_url,
        Some(&login.access_token),
        "subscription($id: ID!) { seatMapUpdates(showtimeId: $id) { showtimeId seatId status version } }",
        json!({"id": catalog.showtime_id}),
    )
    .await;

    let created = customer
        .graphql(
            "mutation($input: CreateBookingInput!) { createBooking(input: $input) { id status holdExpiresAt total { amount currency } seats { id } } }",
            json!({"input": {"showtimeId": catalog.showtime_id, "seatIds": ["B-4", "B-5"]}}),
        )
        .await
        .expect("createBooking");
    let booking = &created["createBooking"];
    assert_eq!(booking["status"], "PENDING");
    assert_eq!(booking["total"]["amount"], 2500);
    assert!(booking["holdExpiresAt"].is_string());
    let booking_id = booking["id"].as_str().expect("id").to_owned();

    let mut held = HashSet::new();
    while held.len() < 2 {
        let update = updates
            .next_data(Duration::from_secs(10))
            .await
            .expect("a HELD update on the subscription");
        if update["seatMapUpdates"]["status"] == "HELD" {
            held.insert(
                update["seatMapUpdates"]["seatId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
    }
    assert_eq!(held, HashSet::from(["B-4".to_owned(), "B-5".to_owned()]));

    let pay = "mutation($input: PayBookingInput!) { payBooking(input: $input) { id status tickets { code seatId qrSvg } } }";
    let declined = customer
        .graphql(pay, json!({"input": {"bookingId": booking_id, "card": card(DECLINED_CARD), "idempotencyKey": format!("{booking_id}-1")}}))
        .await
        .expect_err("a declined card");
    assert_eq!(declined.graphql_code(), Some("PAYMENT_DECLINED"));
    let still = customer
        .graphql(
            "query($id: ID!) { booking(id: $id) { status } }",
            json!({"id": booking_id}),
        )
        .await
        .expect("booking");
    assert_eq!(still["booking"]["status"], "PENDING");

    let paid = customer
        .graphql(pay, json!({"input": {"bookingId": booking_id, "card": card(GOOD_CARD), "idempotencyKey": format!("{booking_id}-2")}}))
        .await
        .expect("payBooking");
    assert_eq!(paid["payBooking"]["status"], "CONFIRMED");
    let tickets = paid["payBooking"]["tickets"].as_array().expect("tickets");
    assert_eq!(tickets.len(), 2);
    assert!(
        tickets
            .iter()
            .all(|t| t["qrSvg"].as_str().is_some_and(|svg| svg.contains("<svg")))
    );

    let mut sold = HashSet::new();
    while sold.len() < 2 {
        let update = updates
            .next_data(Duration::from_secs(10))
            .await
            .expect("a SOLD update on the subscription");
        if update["seatMapUpdates"]["status"] == "SOLD" {
            sold.insert(
                update["seatMapUpdates"]["seatId"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned(),
            );
        }
    }

    let codes: Vec<String> = tickets
        .iter()
        .map(|t| t["code"].as_str().unwrap_or_default().to_owned())
        .collect();
    let summary = || {
        cluster
            .smtp
            .messages()
            .iter()
            .map(|m| {
                format!(
                    "to {:?}: {}",
                    m.to,
                    String::from_utf8_lossy(&m.data)
                        .chars()
                        .take(300)
                        .collect::<String>()
                )
            })
            .collect::<Vec<_>>()
    };
    Cluster::eventually(
        Duration::from_secs(30),
        "the confirmation email with every ticket",
        || async {
            let found = cluster.smtp.messages().iter().any(|m| {
                let Some(parsed) = mail_parser::MessageParser::default().parse(&m.data) else {
                    return false;
                };
                let text = parsed
                    .body_text(0)
                    .map(|t| t.into_owned())
                    .unwrap_or_default();
                // One QR code image per ticket, and the calendar event.
                let parts_of = |ctype: &str, subtype: &str| {
                    parsed
                        .parts
                        .iter()
                        .filter(|part| {
                            part.content_type()
                                .is_some_and(|t| t.ctype() == ctype && t.subtype() == Some(subtype))
                        })
                        .count()
                };
                m.to.iter().any(|to| to.contains(email))
                    && codes.iter().all(|code| text.contains(code.as_str()))
                    && parts_of("image", "png") == codes.len()
                    && parts_of("text", "calendar") == 1
            });
            if !found {
                eprintln!("mail so far: {:?}", summary());
            }
            found
        },
    )
    .await;

    let cancelled = customer
        .graphql(
            "mutation($id: ID!) { cancelBooking(bookingId: $id) { id status } }",
            json!({"id": booking_id}),
        )
        .await
        .expect("cancelBooking");
    assert_eq!(cancelled["cancelBooking"]["status"], "REFUNDED");
    let after = seat_statuses(&customer, &catalog.showtime_id).await;
    assert!(
        after
            .iter()
            .filter(|(id, _)| id == "B-4" || id == "B-5")
            .all(|(_, status)| status == "AVAILABLE"),
        "{after:?}"
    );
}
