//! What the store hands back: plain records, mapped to APIs by the handlers.

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{HoldState, Layout, Money, Prices, SeatStatus, SeatType};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Cinema {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub time_zone: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Auditorium {
    pub id: Uuid,
    pub cinema_id: Uuid,
    pub name: String,
    pub seat_count: i64,
    pub layout: Layout,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Movie {
    pub id: Uuid,
    pub title: String,
    pub runtime_minutes: i32,
    pub rating: String,
    pub genres: Vec<String>,
    pub synopsis: String,
    pub poster_url: String,
    pub release_date: Option<NaiveDate>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Showtime {
    pub id: Uuid,
    pub movie_id: Uuid,
    pub cinema_id: Uuid,
    pub auditorium_id: Uuid,
    pub auditorium_name: String,
    /// The movie's, for the schedule view; `runtime_minutes` is the movie's current runtime
    /// (`ends_at` keeps the one the showtime was scheduled with).
    pub movie_title: String,
    pub runtime_minutes: i32,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub prices: Prices,
    /// The cinema's zone, for the local-date filter.
    #[serde(skip)]
    pub time_zone: String,
}

/// Showtimes starting in `[from, to)`, optionally of one movie and/or cinema.
#[derive(Debug, Clone, Default)]
pub struct ShowtimeFilter {
    pub movie_id: Option<Uuid>,
    pub cinema_id: Option<Uuid>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// A showtime's seat map as read: its prices, every seat in map order, and the aisles of the
/// auditorium's current layout (which matches the seats: a layout only changes while no seat
/// of its showtimes is held or sold, and then their seats are made anew).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatMapRead {
    pub prices: crate::domain::Prices,
    pub seats: Vec<SeatView>,
    pub aisles: crate::domain::LayoutAisles,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SeatView {
    pub id: String,
    pub row: String,
    pub number: i64,
    pub seat_type: SeatType,
    pub status: SeatStatus,
    pub price: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRecord {
    pub id: Uuid,
    pub showtime_id: Uuid,
    /// In seat (lock) order.
    pub seat_ids: Vec<String>,
    pub state: HoldState,
    pub expires_at: DateTime<Utc>,
    pub total: Money,
    pub seats: Vec<SeatView>,
}

/// One committed change of one seat, as the seat-map stream carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct SeatChange {
    pub showtime_id: Uuid,
    pub seat_id: String,
    pub status: SeatStatus,
    pub version: i64,
    /// When the writer's transaction committed, in microseconds since the Unix epoch (0 until
    /// `SeatEvents::committed` stamps it): what the seat-map push lag is measured from, also
    /// on another instance that heard the change over NOTIFY.
    #[serde(default)]
    pub committed_us: i64,
}

/// One showtime's seat counts, aggregated by the store, with what the report names it by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShowtimeSales {
    pub showtime_id: Uuid,
    pub movie_title: String,
    pub auditorium_name: String,
    pub starts_at: DateTime<Utc>,
    pub prices: Prices,
    pub counts: crate::domain::SeatCounts,
}

/// An uploaded poster image.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Poster {
    pub content_type: String,
    pub bytes: Vec<u8>,
    pub etag: String,
}
