use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::Invalid;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum SeatType {
    Standard,
    Premium,
    Accessible,
}

impl SeatType {
    pub const ALL: [SeatType; 3] = [Self::Standard, Self::Premium, Self::Accessible];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Standard => "standard",
            Self::Premium => "premium",
            Self::Accessible => "accessible",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| t.as_str() == text)
    }
}

/// What a customer sees of a seat. `Held` only while the hold is alive: an expired hold is
/// AVAILABLE for readers and writers alike, whether or not the sweeper has run yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum SeatStatus {
    Available,
    Held,
    Sold,
}

impl SeatStatus {
    /// The stored state of a seat (`available`, `held`, `sold`) read at `now`.
    pub fn effective(
        stored: &str,
        held_until: Option<chrono::DateTime<chrono::Utc>>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Self {
        match stored {
            "sold" => Self::Sold,
            "held" if held_until.is_some_and(|until| until > now) => Self::Held,
            _ => Self::Available,
        }
    }
}

/// A seat inside a showtime: `ROW-NUMBER`, e.g. `F-12`. Row labels are 1–4 ASCII letters or
/// digits; numbers 1–999. Ordered by row then number, the order row locks are taken in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SeatId {
    row: String,
    number: u16,
}

pub const MAX_SEAT_NUMBER: u16 = 999;

impl SeatId {
    pub fn new(row: &str, number: u16) -> Result<Self, Invalid> {
        let row_ok =
            !row.is_empty() && row.len() <= 4 && row.chars().all(|c| c.is_ascii_alphanumeric());
        if !row_ok {
            return Err(Invalid::new(format!(
                "row label {row:?} must be 1 to 4 letters or digits"
            )));
        }
        if number == 0 || number > MAX_SEAT_NUMBER {
            return Err(Invalid::new(format!(
                "seat number {number} must be between 1 and {MAX_SEAT_NUMBER}"
            )));
        }
        Ok(Self {
            row: row.to_owned(),
            number,
        })
    }

    pub fn row(&self) -> &str {
        &self.row
    }

    pub fn number(&self) -> u16 {
        self.number
    }
}

impl FromStr for SeatId {
    type Err = Invalid;

    fn from_str(text: &str) -> Result<Self, Invalid> {
        let bad = || Invalid::new(format!("{text:?} is not a seat id like F-12"));
        let (row, number) = text.rsplit_once('-').ok_or_else(bad)?;
        if number.is_empty()
            || !number.chars().all(|c| c.is_ascii_digit())
            || number.starts_with('0')
        {
            return Err(bad());
        }
        let number: u16 = number.parse().map_err(|_| bad())?;
        Self::new(row, number).map_err(|_| bad())
    }
}

impl fmt::Display for SeatId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.row, self.number)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seat_ids_parse_and_print_as_row_dash_number() {
        let id: SeatId = "F-12".parse().unwrap();
        assert_eq!((id.row(), id.number()), ("F", 12));
        assert_eq!(id.to_string(), "F-12");
        assert_eq!("AA-1".parse::<SeatId>().unwrap().row(), "AA");
    }

    #[test]
    fn malformed_seat_ids_are_rejected() {
        for bad in [
            "", "F", "F-", "-3", "F-0", "F-012", "F-1000", "F 1", "F-1a", "ROWXX-1", "É-1",
        ] {
            assert!(bad.parse::<SeatId>().is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn seat_ids_order_by_row_then_number() {
        let mut ids: Vec<SeatId> = ["B-2", "A-10", "A-2"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        ids.sort();
        let text: Vec<String> = ids.iter().map(ToString::to_string).collect();
        assert_eq!(text, ["A-2", "A-10", "B-2"]);
    }

    #[test]
    fn an_expired_hold_reads_as_available() {
        let now = chrono::Utc::now();
        let later = now + chrono::Duration::seconds(5);
        let earlier = now - chrono::Duration::seconds(5);
        assert_eq!(
            SeatStatus::effective("held", Some(later), now),
            SeatStatus::Held
        );
        assert_eq!(
            SeatStatus::effective("held", Some(earlier), now),
            SeatStatus::Available
        );
        assert_eq!(SeatStatus::effective("sold", None, now), SeatStatus::Sold);
        assert_eq!(
            SeatStatus::effective("available", None, now),
            SeatStatus::Available
        );
    }
}
