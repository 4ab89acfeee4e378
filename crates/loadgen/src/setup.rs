//! Preparing a run through the public and admin APIs, before the clock starts.

use boxoffice_client::{ApiClient, ClientError};
use chrono::{Duration, Timelike, Utc};
use futures::StreamExt;
use serde_json::{Value, json};
use uuid::Uuid;

#[derive(Debug, Clone)]
pub struct Showtime {
    pub id: String,
    pub seats: usize,
}

/// A premiere: one new movie on the same evening in `auditoriums` new auditoriums of
/// `rows` × `seats_per_row` seats (premium in the back third), in a new cinema.
pub async fn premiere(
    admin: &ApiClient,
    auditoriums: usize,
    rows: usize,
    seats_per_row: usize,
) -> Result<Vec<Showtime>, ClientError> {
    let run = Uuid::now_v7().simple().to_string();
    let run = &run[run.len() - 8..];
    let movie: Value = admin
        .post(
            "/api/v1/admin/movies",
            json!({"title": format!("Premiere {run}"), "runtime_minutes": 148, "rating": "PG-13", "genres": ["Adventure"]}),
        )
        .await?;
    let cinema: Value = admin
        .post(
            "/api/v1/admin/cinemas",
            json!({"name": format!("Bench Cinema {run}"), "address": "1 Benchmark Way", "time_zone": "Europe/Berlin"}),
        )
        .await?;
    let evening = (Utc::now() + Duration::days(1))
        .with_hour(19)
        .and_then(|t| t.with_minute(0))
        .unwrap_or_else(Utc::now);
    let mut showtimes = Vec::new();
    for index in 0..auditoriums {
        let auditorium: Value = admin
            .post(
                &format!("/api/v1/admin/cinemas/{}/auditoriums", id(&cinema)),
                json!({"name": format!("Hall {}", index + 1), "layout": layout(rows, seats_per_row)}),
            )
            .await?;
        let showtime: Value = admin
            .post(
                "/api/v1/admin/showtimes",
                json!({
                    "movie_id": id(&movie),
                    "auditorium_id": id(&auditorium),
                    // Staggered by five minutes, as cinemas stagger a premiere's screens.
                    "starts_at": evening + Duration::minutes(5 * index as i64),
                    "prices": {"currency": "EUR", "standard": 1200, "premium": 1600, "accessible": 1000},
                }),
            )
            .await?;
        showtimes.push(Showtime {
            id: id(&showtime),
            seats: rows * seats_per_row,
        });
    }
    Ok(showtimes)
}

fn id(value: &Value) -> String {
    value["id"].as_str().unwrap_or_default().to_owned()
}

fn layout(rows: usize, seats_per_row: usize) -> Value {
    let rows: Vec<Value> = (0..rows)
        .map(|r| {
            let label = row_label(r);
            let premium = r >= rows * 2 / 3;
            let seats: Vec<Value> = (1..=seats_per_row)
                .map(|n| json!({"number": n, "type": if premium { "premium" } else { "standard" }}))
                .collect();
            json!({"label": label, "seats": seats, "gaps_after": [seats_per_row / 4, seats_per_row - seats_per_row / 4]})
        })
        .collect();
    json!({"rows": rows})
}

fn row_label(index: usize) -> String {
    let letters = b"ABCDEFGHJKLMNOPQRSTUVWXYZ";
    if index < letters.len() {
        (letters[index] as char).to_string()
    } else {
        format!(
            "{}{}",
            letters[index / letters.len() - 1] as char,
            letters[index % letters.len()] as char
        )
    }
}

/// Seats of one showtime one account buys in a run, on average: a fifth of the booking service's
/// default `max_seats_per_customer_per_showtime` (10). Accounts are taken in turn while bookings
/// succeed or fail at random, so some buy several times the average; and a slow attempt may
/// still be unpaid when its account comes round again (`max_pending_bookings`, 2).
const SEATS_PER_ACCOUNT: usize = 2;

/// How many moviegoers' accounts a run with `users` virtual customers needs when its largest
/// showtime has `largest_showtime` seats: at least one per customer, and enough that none
/// reaches the per-customer limits.
pub fn accounts_needed(users: usize, largest_showtime: usize) -> usize {
    users.max(largest_showtime.div_ceil(SEATS_PER_ACCOUNT))
}

/// Registers `count` customers (at most `concurrency` at a time: registration hashes a password
/// on purpose slowly) and returns a client acting as each of them.
pub async fn customers(
    api: &ApiClient,
    count: usize,
    concurrency: usize,
) -> Result<Vec<ApiClient>, ClientError> {
    let run = Uuid::now_v7().simple().to_string();
    let password = format!("bench-{run}-secret");
    let sessions: Vec<Result<ApiClient, ClientError>> = futures::stream::iter(0..count)
        .map(|i| {
            let api = api.clone();
            let email = format!("bench-{run}-{i}@bench.boxoffice.test");
            let password = password.clone();
            async move {
                let session = api
                    .register(&email, &password, &format!("Bench User {i}"))
                    .await?;
                Ok(api.with_token(session.access_token))
            }
        })
        .buffer_unordered(concurrency.max(1))
        .collect()
        .await;
    sessions.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_customer_has_an_account_and_no_account_buys_more_than_its_share() {
        assert_eq!(accounts_needed(8, 500), 250);
        assert_eq!(accounts_needed(500, 252), 500);
        assert_eq!(accounts_needed(64, 10), 64);
        assert_eq!(accounts_needed(1, 0), 1);
    }

    #[test]
    fn layouts_have_the_asked_size_and_premium_at_the_back() {
        let layout = layout(12, 21);
        let rows = layout["rows"].as_array().expect("rows");
        assert_eq!(rows.len(), 12);
        assert_eq!(rows[0]["seats"].as_array().expect("seats").len(), 21);
        assert_eq!(rows[11]["seats"][0]["type"], "premium");
        assert_eq!(rows[0]["seats"][0]["type"], "standard");
        assert_eq!(row_label(0), "A");
        assert_eq!(row_label(8), "J");
        assert_eq!(row_label(25), "AA");
        assert_eq!(row_label(26), "AB");
    }
}
