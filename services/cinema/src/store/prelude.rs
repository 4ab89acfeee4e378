//! What the SQL macros need in scope, imported once by each adapter.

pub(super) use async_trait::async_trait;
pub(super) use chrono::{DateTime, NaiveDate, Utc};
pub(super) use uuid::Uuid;

pub(super) use super::{
    Auditorium, CatalogStore, Cinema, HoldRecord, InventoryStore, Movie, SeatChange, SeatMapRead,
    SeatView, Showtime, ShowtimeFilter, StoreError, StoreResult, corrupt, db_time, db_time_ceil,
    seat_rows_for,
};
pub(super) use crate::domain::{
    CinemaInput, HoldRequest, HoldState, Layout, LayoutAisles, Money, MovieInput, Prices,
    SeatStatus, SeatType, ShowtimeInput, ShowtimeWindow,
};
