//! Types and rules of the cinema domain: pure, no I/O, unit-tested beside them.

mod catalog;
mod hold;
mod layout;
mod money;
mod poster;
mod sales;
mod schedule;
mod seat;

pub use catalog::{
    CLEANING_TIME, CinemaInput, MovieInput, ShowtimeInput, ShowtimeWindow, parse_time_zone,
};
pub use hold::{HoldLimits, HoldRequest, HoldState};
pub use layout::{Layout, LayoutAisles, LayoutSeat, RowAisles, RowSpec, SeatSpec};
pub use money::{Money, Prices};
pub use poster::{MAX_POSTER_BYTES, PosterType, poster_etag, poster_url};
pub use sales::{Sales, SeatCounts};
pub use schedule::{Clash, MAX_SERIES_DAYS, SeriesInput, local_day};
pub use seat::{SeatId, SeatStatus, SeatType};

/// A rule a request broke; the message is safe to show to the caller.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct Invalid(pub String);

impl Invalid {
    pub fn new(message: impl Into<String>) -> Self {
        Self(message.into())
    }
}

/// Parses an id from an API (UUID text).
pub fn parse_id(what: &str, text: &str) -> Result<uuid::Uuid, Invalid> {
    uuid::Uuid::parse_str(text.trim())
        .map_err(|_| Invalid::new(format!("{what} is not a valid id")))
}
