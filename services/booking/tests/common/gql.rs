//! Talking GraphQL to the booking service.

use serde_json::{Value, json};

pub async fn gql(url: &str, token: Option<&str>, query: &str, variables: Value) -> Value {
    let client = reqwest::Client::new();
    let mut request = client
        .post(url)
        .json(&json!({"query": query, "variables": variables}));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("graphql request");
    response.json().await.expect("graphql json")
}

/// The `extensions.code` of the first error, if any.
pub fn error_code(response: &Value) -> Option<String> {
    response["errors"][0]["extensions"]["code"]
        .as_str()
        .map(str::to_owned)
}

pub const BOOKING_FIELDS: &str = "id status total { amount currency } holdExpiresAt createdAt \
     seats { id row number type status price { amount currency } } \
     tickets { code seatId qrSvg } showtime { id movie { title } cinema { name } }";

pub fn create_booking_mutation() -> String {
    format!(
        "mutation($input: CreateBookingInput!) {{ createBooking(input: $input) {{ {BOOKING_FIELDS} }} }}"
    )
}

pub fn pay_booking_mutation() -> String {
    format!(
        "mutation($input: PayBookingInput!) {{ payBooking(input: $input) {{ {BOOKING_FIELDS} }} }}"
    )
}

pub fn cancel_booking_mutation() -> String {
    format!("mutation($id: ID!) {{ cancelBooking(bookingId: $id) {{ {BOOKING_FIELDS} }} }}")
}

pub async fn create_booking(url: &str, token: &str, showtime_id: &str, seats: &[&str]) -> Value {
    gql(
        url,
        Some(token),
        &create_booking_mutation(),
        json!({"input": {"showtimeId": showtime_id, "seatIds": seats}}),
    )
    .await
}

pub async fn pay_booking(url: &str, token: &str, booking_id: &str, card: &str, key: &str) -> Value {
    gql(
        url,
        Some(token),
        &pay_booking_mutation(),
        json!({"input": {
            "bookingId": booking_id,
            "card": {"number": card, "expMonth": 12, "expYear": 2040, "cvc": "123"},
            "idempotencyKey": key,
        }}),
    )
    .await
}

pub async fn cancel_booking(url: &str, token: &str, booking_id: &str) -> Value {
    gql(
        url,
        Some(token),
        &cancel_booking_mutation(),
        json!({"id": booking_id}),
    )
    .await
}

pub async fn booking_status(url: &str, token: &str, booking_id: &str) -> Value {
    gql(
        url,
        Some(token),
        &format!("query($id: ID!) {{ booking(id: $id) {{ {BOOKING_FIELDS} }} }}"),
        json!({"id": booking_id}),
    )
    .await
}
