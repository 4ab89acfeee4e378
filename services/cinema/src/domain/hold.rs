use std::collections::HashSet;
use std::time::Duration;

use super::{Invalid, SeatId};

/// Limits on holds, from the settings.
#[derive(Debug, Clone, Copy)]
pub struct HoldLimits {
    pub max_seats: usize,
    pub default_ttl: Duration,
    /// Longer holds would let one customer block seats for everyone else.
    pub max_ttl: Duration,
}

/// A validated HoldSeats request: 1..=max distinct seats, sorted into lock order, and a
/// positive ttl.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HoldRequest {
    pub showtime_id: uuid::Uuid,
    pub hold_id: uuid::Uuid,
    pub seats: Vec<SeatId>,
    pub ttl: Duration,
}

impl HoldRequest {
    /// No `ttl_seconds` means the default; zero or negative is invalid.
    pub fn parse(
        showtime_id: &str,
        hold_id: &str,
        seat_ids: &[String],
        ttl_seconds: Option<i64>,
        limits: HoldLimits,
    ) -> Result<Self, Invalid> {
        let showtime_id = super::parse_id("showtime_id", showtime_id)?;
        let hold_id = super::parse_id("hold_id", hold_id)?;
        if seat_ids.is_empty() {
            return Err(Invalid::new("seat_ids must name at least one seat"));
        }
        if seat_ids.len() > limits.max_seats {
            return Err(Invalid::new(format!(
                "a hold takes at most {} seats",
                limits.max_seats
            )));
        }
        let mut seen = HashSet::new();
        let mut seats = Vec::with_capacity(seat_ids.len());
        for text in seat_ids {
            let id: SeatId = text.parse()?;
            if !seen.insert(id.clone()) {
                return Err(Invalid::new(format!("seat {id} is listed twice")));
            }
            seats.push(id);
        }
        // Row locks are taken in this order by every writer, so two holds can never wait on
        // each other in a cycle.
        seats.sort();
        let ttl = match ttl_seconds {
            None => limits.default_ttl,
            Some(n) if n <= 0 => return Err(Invalid::new("ttl_seconds must be positive")),
            Some(n) => Duration::from_secs(n as u64),
        };
        if ttl > limits.max_ttl {
            return Err(Invalid::new(format!(
                "ttl_seconds must be at most {}",
                limits.max_ttl.as_secs()
            )));
        }
        Ok(Self {
            showtime_id,
            hold_id,
            seats,
            ttl,
        })
    }

    /// The seat ids as text, in lock order.
    pub fn seat_texts(&self) -> Vec<String> {
        self.seats.iter().map(ToString::to_string).collect()
    }
}

/// The life of a hold as recorded in the holds table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HoldState {
    Held,
    Confirmed,
    Released,
    Expired,
}

impl HoldState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "held",
            Self::Confirmed => "confirmed",
            Self::Released => "released",
            Self::Expired => "expired",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Held, Self::Confirmed, Self::Released, Self::Expired]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: HoldLimits = HoldLimits {
        max_seats: 3,
        default_ttl: Duration::from_secs(600),
        max_ttl: Duration::from_secs(3600),
    };

    fn parse(seats: &[&str], ttl: Option<i64>) -> Result<HoldRequest, Invalid> {
        let seats: Vec<String> = seats.iter().map(|s| (*s).to_owned()).collect();
        let id = uuid::Uuid::now_v7().to_string();
        HoldRequest::parse(&id, &id, &seats, ttl, LIMITS)
    }

    #[test]
    fn seats_are_sorted_into_lock_order() {
        let request = parse(&["B-1", "A-10", "A-2"], Some(30)).unwrap();
        assert_eq!(request.seat_texts(), ["A-2", "A-10", "B-1"]);
        assert_eq!(request.ttl, Duration::from_secs(30));
    }

    #[test]
    fn no_ttl_means_the_default_and_zero_or_negative_is_invalid() {
        assert_eq!(parse(&["A-1"], None).unwrap().ttl, LIMITS.default_ttl);
        assert!(parse(&["A-1"], Some(0)).is_err());
        assert!(parse(&["A-1"], Some(-5)).is_err());
        assert!(parse(&["A-1"], Some(3601)).is_err());
    }

    #[test]
    fn empty_duplicate_and_too_many_seats_are_invalid() {
        assert!(parse(&[], Some(30)).is_err());
        assert!(
            parse(&["A-1", "A-1"], Some(30))
                .unwrap_err()
                .0
                .contains("A-1")
        );
        assert!(parse(&["A-1", "A-2", "A-3", "A-4"], Some(30)).is_err());
        assert!(parse(&["nope"], Some(30)).is_err());
    }

    #[test]
    fn ids_must_be_uuids() {
        let seats = vec!["A-1".to_owned()];
        assert!(
            HoldRequest::parse(
                "x",
                &uuid::Uuid::now_v7().to_string(),
                &seats,
                Some(1),
                LIMITS
            )
            .is_err()
        );
    }
}
