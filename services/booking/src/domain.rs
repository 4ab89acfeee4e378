//! The booking's types and pure rules: statuses, saga steps, seat-id validation, the refund
//! policy, idempotency keys and ticket codes; `staff` has the rules of the staff features.

mod staff;

pub use staff::{
    BookingSearch, SEARCH_LIMIT, door, looks_like_ticket_code, normalise_ticket_code, refund_reason,
};

use std::collections::HashSet;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What the customer sees. FAILED is internal: a booking whose hold never succeeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum BookingStatus {
    Pending,
    Confirmed,
    Expired,
    Cancelled,
    Refunded,
    Failed,
}

impl BookingStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "PENDING",
            Self::Confirmed => "CONFIRMED",
            Self::Expired => "EXPIRED",
            Self::Cancelled => "CANCELLED",
            Self::Refunded => "REFUNDED",
            Self::Failed => "FAILED",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Pending,
            Self::Confirmed,
            Self::Expired,
            Self::Cancelled,
            Self::Refunded,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }
}

/// Where the saga of one booking stands. Resting steps (`Held`, `Confirmed`, `Closed`,
/// `Failed`) need nothing more; every other step is in flight and, if its owner died, is
/// resumed or compensated by the recovery worker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SagaStep {
    /// About to call HoldSeats (hold id recorded first).
    Holding,
    /// Seats held, waiting for payment: PENDING.
    Held,
    /// About to charge (attempt recorded first); outcome unknown until recorded.
    Charging,
    /// Captured (payment id recorded), hold not yet confirmed.
    Charged,
    Confirmed,
    /// Giving the money back (compensation or cancellation after payment).
    Refunding,
    /// Releasing the hold; then the booking closes with `closing_status`.
    Releasing,
    Closed,
    Failed,
}

impl SagaStep {
    pub const IN_FLIGHT: [SagaStep; 5] = [
        Self::Holding,
        Self::Charging,
        Self::Charged,
        Self::Refunding,
        Self::Releasing,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holding => "holding",
            Self::Held => "held",
            Self::Charging => "charging",
            Self::Charged => "charged",
            Self::Confirmed => "confirmed",
            Self::Refunding => "refunding",
            Self::Releasing => "releasing",
            Self::Closed => "closed",
            Self::Failed => "failed",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        [
            Self::Holding,
            Self::Held,
            Self::Charging,
            Self::Charged,
            Self::Confirmed,
            Self::Refunding,
            Self::Releasing,
            Self::Closed,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == value)
    }

    pub fn in_flight(self) -> bool {
        Self::IN_FLIGHT.contains(&self)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("choose at least one seat")]
    NoSeats,
    #[error("at most {0} seats per booking")]
    TooManySeats(usize),
    #[error("seat {0} is listed twice")]
    DuplicateSeat(String),
    #[error("{0:?} is not a seat id (expected ROW-NUMBER, e.g. F-12)")]
    MalformedSeat(String),
    #[error("{0:?} is not a valid id")]
    MalformedId(String),
    #[error("{field} must have 1 to {max} characters")]
    Length { field: &'static str, max: usize },
}

/// Checks the seat ids a customer asked for: non-empty, no duplicates, `ROW-NUMBER` shape.
pub fn validate_seats(seat_ids: &[String], max: usize) -> Result<Vec<String>, InputError> {
    if seat_ids.is_empty() {
        return Err(InputError::NoSeats);
    }
    if seat_ids.len() > max {
        return Err(InputError::TooManySeats(max));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(seat_ids.len());
    for raw in seat_ids {
        let id = raw.trim().to_ascii_uppercase();
        let valid = id.len() <= 16
            && id.split_once('-').is_some_and(|(row, number)| {
                !row.is_empty()
                    && row.chars().all(|c| c.is_ascii_alphanumeric())
                    && number.parse::<u16>().is_ok_and(|n| n > 0)
            });
        if !valid {
            return Err(InputError::MalformedSeat(raw.clone()));
        }
        if !seen.insert(id.clone()) {
            return Err(InputError::DuplicateSeat(id));
        }
        out.push(id);
    }
    Ok(out)
}

pub fn parse_id(raw: &str) -> Result<Uuid, InputError> {
    Uuid::parse_str(raw.trim()).map_err(|_| InputError::MalformedId(raw.to_owned()))
}

/// Cancelling a paid booking gives the money back only up to `cutoff` before the show.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefundPolicy {
    pub cutoff: Duration,
}

impl RefundPolicy {
    pub fn allows(&self, starts_at: DateTime<Utc>, now: DateTime<Utc>) -> bool {
        now <= starts_at - self.cutoff
    }
}

/// The payments idempotency key of charge attempt `attempt`: a retry of the same attempt (by
/// the customer, the client or the recovery worker) can never charge twice.
pub fn charge_key(booking_id: Uuid, attempt: i32) -> String {
    format!("booking:{booking_id}:charge:{attempt}")
}

/// The one refund a booking can ever get.
pub fn refund_key(booking_id: Uuid) -> String {
    format!("booking:{booking_id}:refund")
}

/// A ticket code: 128 random bits in Crockford base32 (26 characters), unguessable and easy to
/// read out at the door.
pub fn ticket_code() -> Result<String, getrandom::Error> {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes)?;
    let mut value = u128::from_be_bytes(bytes);
    let mut code = String::with_capacity(26);
    for _ in 0..26 {
        code.push(ALPHABET[(value & 31) as usize] as char);
        value >>= 5;
    }
    Ok(code)
}

/// The ticket's QR code as an SVG document encoding its code.
pub fn qr_svg(code: &str) -> Result<String, qrcode::types::QrError> {
    let qr = qrcode::QrCode::new(code.as_bytes())?;
    Ok(qr
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(160, 160)
        .build())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn seats_are_normalised_and_checked() {
        assert_eq!(
            validate_seats(&ids(&["f-12", "A-1"]), 10),
            Ok(ids(&["F-12", "A-1"]))
        );
        assert_eq!(validate_seats(&[], 10), Err(InputError::NoSeats));
        assert_eq!(
            validate_seats(&ids(&["A-1", "a-1"]), 10),
            Err(InputError::DuplicateSeat("A-1".into()))
        );
        assert!(matches!(
            validate_seats(&ids(&["A1"]), 10),
            Err(InputError::MalformedSeat(_))
        ));
        assert!(matches!(
            validate_seats(&ids(&["A-0"]), 10),
            Err(InputError::MalformedSeat(_))
        ));
        assert_eq!(
            validate_seats(&ids(&["A-1", "A-2"]), 1),
            Err(InputError::TooManySeats(1))
        );
    }

    #[test]
    fn refunds_stop_at_the_cutoff() {
        let policy = RefundPolicy {
            cutoff: Duration::hours(2),
        };
        let show = Utc::now() + Duration::hours(3);
        assert!(policy.allows(show, Utc::now()));
        assert!(!policy.allows(show, show - Duration::minutes(119)));
    }

    #[test]
    fn ticket_codes_are_distinct_and_readable() {
        let a = ticket_code().expect("random");
        let b = ticket_code().expect("random");
        assert_eq!(a.len(), 26);
        assert_ne!(a, b);
        assert!(qr_svg(&a).expect("qr").starts_with("<?xml"));
    }

    #[test]
    fn steps_round_trip_and_know_whether_they_are_in_flight() {
        for step in SagaStep::IN_FLIGHT {
            assert_eq!(SagaStep::parse(step.as_str()), Some(step));
            assert!(step.in_flight());
        }
        assert!(!SagaStep::Held.in_flight());
        assert_eq!(
            BookingStatus::parse("REFUNDED"),
            Some(BookingStatus::Refunded)
        );
    }
}
