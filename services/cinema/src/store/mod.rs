//! The cinema service's store: a port (three traits) and its PostgreSQL and SQLite adapters.
//!
//! The SQL is written once, in three macros (`catalog_sql`, `inventory_sql`,
//! `back_office_sql`) instantiated per
//! engine with the fragments where the engines differ: row locks (`FOR UPDATE` on PostgreSQL;
//! SQLite serialises writers with `BEGIN IMMEDIATE`), how a list of seats is bound, and how
//! seat changes are announced (`pg_notify` inside the transaction on PostgreSQL).

#[macro_use]
mod catalog_sql;
#[macro_use]
mod inventory_sql;
#[macro_use]
mod back_office_sql;
mod postgres;
mod prelude;
mod records;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::{
    CinemaInput, Clash, HoldRequest, Layout, LayoutSeat, MovieInput, SeriesInput, ShowtimeInput,
};

pub use postgres::{PgStore, SEAT_CHANGES_CHANNEL};
pub use records::{
    Auditorium, Cinema, HoldRecord, Movie, Poster, SeatChange, SeatMapRead, SeatView, Showtime,
    ShowtimeFilter, ShowtimeSales,
};
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0} not found")]
    NotFound(String),
    /// The request clashes with existing data (overlap, sales, a name in use).
    #[error("{0}")]
    Conflict(String),
    /// The requested showtime(s) would overlap these existing ones in the auditorium.
    #[error("the auditorium is busy with {} other showtime(s) then", .0.len())]
    Clash(Vec<Clash>),
    #[error("{0}")]
    Invalid(String),
    /// The seats a hold could not take, in seat order.
    #[error("seats unavailable: {}", .0.join(", "))]
    SeatsUnavailable(Vec<String>),
    #[error("the hold expired or its seats were taken")]
    HoldExpired,
    #[error("the hold was released")]
    HoldReleased,
    #[error("hold_id was already used for a different request")]
    HoldIdReused,
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is corrupt: {0}")]
    Corrupt(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Staff-edited catalog: cinemas, auditoriums, movies, showtimes.
#[async_trait]
pub trait CatalogStore: Send + Sync {
    async fn create_cinema(&self, input: &CinemaInput, now: DateTime<Utc>) -> StoreResult<Cinema>;
    async fn list_cinemas(&self) -> StoreResult<Vec<Cinema>>;
    async fn get_cinemas(&self, ids: &[Uuid]) -> StoreResult<Vec<Cinema>>;
    async fn update_cinema(&self, id: Uuid, input: &CinemaInput) -> StoreResult<Cinema>;
    async fn delete_cinema(&self, id: Uuid) -> StoreResult<()>;

    async fn create_auditorium(
        &self,
        cinema_id: Uuid,
        name: &str,
        layout: &Layout,
        now: DateTime<Utc>,
    ) -> StoreResult<Auditorium>;
    async fn list_auditoriums(&self, cinema_id: Uuid) -> StoreResult<Vec<Auditorium>>;
    async fn get_auditorium(&self, cinema_id: Uuid, id: Uuid) -> StoreResult<Auditorium>;
    /// Rebuilds the seats of the auditorium's showtimes when the layout changes; refused
    /// while any of them has a sold seat or a live hold.
    async fn update_auditorium(
        &self,
        cinema_id: Uuid,
        id: Uuid,
        name: &str,
        layout: &Layout,
        now: DateTime<Utc>,
    ) -> StoreResult<Auditorium>;
    async fn delete_auditorium(&self, cinema_id: Uuid, id: Uuid) -> StoreResult<()>;

    async fn create_movie(&self, input: &MovieInput, now: DateTime<Utc>) -> StoreResult<Movie>;
    async fn list_movies(&self) -> StoreResult<Vec<Movie>>;
    async fn get_movies(&self, ids: &[Uuid]) -> StoreResult<Vec<Movie>>;
    async fn update_movie(&self, id: Uuid, input: &MovieInput) -> StoreResult<Movie>;
    async fn delete_movie(&self, id: Uuid) -> StoreResult<()>;

    /// Creates the showtime and its per-seat state; refuses an overlap in the auditorium.
    async fn create_showtime(
        &self,
        input: &ShowtimeInput,
        now: DateTime<Utc>,
    ) -> StoreResult<Showtime>;
    async fn list_showtimes(&self, filter: &ShowtimeFilter) -> StoreResult<Vec<Showtime>>;
    async fn get_showtimes(&self, ids: &[Uuid]) -> StoreResult<Vec<Showtime>>;
    /// Moving (new start or movie) is refused once a seat is sold; prices may always change.
    async fn update_showtime(
        &self,
        id: Uuid,
        input: &ShowtimeInput,
        now: DateTime<Utc>,
    ) -> StoreResult<Showtime>;
    /// Refused while a seat is sold or held.
    async fn delete_showtime(&self, id: Uuid, now: DateTime<Utc>) -> StoreResult<()>;
}

/// Back-office work on top of the catalog: daily series, sales reports, poster images.
#[async_trait]
pub trait BackOfficeStore: Send + Sync {
    /// Creates every showtime of the series in one transaction, or none: `Clash` lists every
    /// existing showtime any of them would overlap.
    async fn create_showtime_series(
        &self,
        input: &SeriesInput,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<Showtime>>;

    /// Seat counts of the showtimes matching `filter` (one aggregate query), by start time.
    async fn showtime_sales(
        &self,
        filter: &SalesFilter,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<ShowtimeSales>>;

    /// Stores the movie's poster and points its `poster_url` at it; returns the movie.
    async fn put_poster(
        &self,
        movie_id: Uuid,
        poster: &Poster,
        now: DateTime<Utc>,
    ) -> StoreResult<Movie>;
    /// Removes the uploaded poster (if any) and clears `poster_url`.
    async fn delete_poster(&self, movie_id: Uuid) -> StoreResult<()>;
    async fn get_poster(&self, movie_id: Uuid) -> StoreResult<Option<Poster>>;
}

/// Which showtimes a sales report covers: one showtime, or a cinema's showtimes starting in
/// `[from, to)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesFilter {
    Showtime(Uuid),
    Cinema {
        cinema_id: Uuid,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    },
}

/// Per-showtime seat state. Every mutation is one short transaction and returns the seat
/// changes it committed, for the seat-map fan-out.
#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Every seat in map order with its state at `now`, and the aisles to draw between them.
    async fn seat_map(&self, showtime_id: Uuid, now: DateTime<Utc>) -> StoreResult<SeatMapRead>;
    async fn hold(
        &self,
        request: &HoldRequest,
        now: DateTime<Utc>,
    ) -> StoreResult<(HoldRecord, Vec<SeatChange>)>;
    async fn confirm(
        &self,
        hold_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<(HoldRecord, Vec<SeatChange>)>;
    async fn release(
        &self,
        hold_id: Uuid,
        now: DateTime<Utc>,
    ) -> StoreResult<(HoldRecord, Vec<SeatChange>)>;
    async fn get_hold(&self, hold_id: Uuid, now: DateTime<Utc>) -> StoreResult<HoldRecord>;
    /// Releases up to `limit` holds that expired before `now`, one transaction each.
    async fn expire_holds(&self, now: DateTime<Utc>, limit: usize) -> StoreResult<Vec<SeatChange>>;
}

pub trait CinemaStore: CatalogStore + InventoryStore + BackOfficeStore {}
impl<T: CatalogStore + InventoryStore + BackOfficeStore> CinemaStore for T {}

pub type SharedStore = Arc<dyn CinemaStore>;

/// Times are kept to whole seconds in both engines: SQLite compares them as text, which only
/// orders correctly with a fixed format.
pub fn db_time(t: DateTime<Utc>) -> DateTime<Utc> {
    use chrono::Timelike;
    t.with_nanosecond(0).unwrap_or(t)
}

/// [`db_time`] rounded up: for expiry times, which must not come early.
pub fn db_time_ceil(t: DateTime<Utc>) -> DateTime<Utc> {
    let down = db_time(t);
    if down == t {
        t
    } else {
        down + chrono::Duration::seconds(1)
    }
}

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

pub(crate) fn seat_rows_for(layout: &Layout) -> StoreResult<Vec<LayoutSeat>> {
    layout.seats().map_err(|e| StoreError::Invalid(e.0))
}
