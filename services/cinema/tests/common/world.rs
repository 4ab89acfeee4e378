//! A store with a cinema, a 3x10 auditorium, a movie and a showtime, for the conformance suite.

use std::sync::Arc;
use std::time::Duration;

use boxoffice_cinema::domain::{
    CinemaInput, HoldLimits, HoldRequest, Layout, MovieInput, Prices, SeatStatus, ShowtimeInput,
};
use boxoffice_cinema::store::{CinemaStore, PgStore, SqliteStore};
use boxoffice_store::{Database, PoolSettings};
use chrono::{DateTime, Duration as Span, TimeZone, Utc};
use uuid::Uuid;

use super::Engine;

pub const LIMITS: HoldLimits = HoldLimits {
    max_seats: 10,
    default_ttl: Duration::from_secs(600),
    max_ttl: Duration::from_secs(3600),
};

pub async fn store(engine: Engine) -> Arc<dyn CinemaStore> {
    let url = super::database_url(engine).await;
    let db = Database::connect(&url, &boxoffice_cinema::MIGRATIONS, PoolSettings::default())
        .await
        .expect("connect");
    match db {
        Database::Postgres(pool) => Arc::new(PgStore::new(pool)),
        Database::Sqlite(pool) => Arc::new(SqliteStore::new(pool).await.expect("writer")),
    }
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2029, 6, 1, 12, 0, 0)
        .single()
        .expect("time")
}

pub fn prices() -> Prices {
    Prices {
        currency: "EUR".into(),
        standard: 1000,
        premium: 1500,
        accessible: 800,
    }
}

pub struct World {
    pub store: Arc<dyn CinemaStore>,
    pub auditorium: Uuid,
    pub movie: Uuid,
    pub showtime: Uuid,
}

pub async fn world(engine: Engine) -> World {
    let store = store(engine).await;
    let cinema = store
        .create_cinema(
            &CinemaInput {
                name: "Roxy".into(),
                address: "1 Main St".into(),
                time_zone: "Europe/Berlin".into(),
            },
            t0(),
        )
        .await
        .expect("cinema");
    let auditorium = store
        .create_auditorium(cinema.id, "Hall 1", &Layout::grid(3, 10), t0())
        .await
        .expect("auditorium");
    let movie = store
        .create_movie(
            &MovieInput {
                title: "Heat".into(),
                runtime_minutes: 170,
                rating: "R".into(),
                genres: vec!["crime".into()],
                synopsis: String::new(),
                poster_url: String::new(),
                release_date: None,
            },
            t0(),
        )
        .await
        .expect("movie");
    let showtime = store
        .create_showtime(
            &ShowtimeInput {
                movie_id: movie.id,
                auditorium_id: auditorium.id,
                starts_at: t0() + Span::days(1),
                prices: prices(),
            },
            t0(),
        )
        .await
        .expect("showtime");
    World {
        store,
        auditorium: auditorium.id,
        movie: movie.id,
        showtime: showtime.id,
    }
}

pub fn request(w: &World, seats: &[&str], ttl_secs: i64) -> HoldRequest {
    let seats: Vec<String> = seats.iter().map(|s| (*s).to_owned()).collect();
    HoldRequest::parse(
        &w.showtime.to_string(),
        &Uuid::now_v7().to_string(),
        &seats,
        Some(ttl_secs),
        LIMITS,
    )
    .expect("valid request")
}

pub async fn status_of(w: &World, seat: &str, now: DateTime<Utc>) -> SeatStatus {
    let seats = w.store.seat_map(w.showtime, now).await.expect("map").seats;
    seats
        .into_iter()
        .find(|s| s.id == seat)
        .map(|s| s.status)
        .expect("seat exists")
}
