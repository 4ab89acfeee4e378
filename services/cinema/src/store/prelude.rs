//! What the SQL macros need in scope, imported once by each adapter.

pub(super) use async_trait::async_trait;
pub(super) use chrono::{DateTime, NaiveDate, Utc};
pub(super) use uuid::Uuid;

pub(super) use super::{
    Auditorium, BackOfficeStore, CatalogStore, Cinema, HoldRecord, InventoryStore, Movie, Poster,
    SalesFilter, SeatChange, SeatMapRead, SeatView, Showtime, ShowtimeFilter, ShowtimeSales,
    StoreError, StoreResult, corrupt, db_time, db_time_ceil, seat_rows_for,
};
pub(super) use crate::domain::{
    CinemaInput, Clash, HoldRequest, HoldState, Layout, LayoutAisles, Money, MovieInput, Prices,
    SeatCounts, SeatStatus, SeatType, SeriesInput, ShowtimeInput, ShowtimeWindow, poster_url,
};
