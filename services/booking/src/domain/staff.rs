//! The pure rules of the staff features: ticket codes as read out at the door, door names,
//! refund reasons and what a staff search asks for.

use uuid::Uuid;

use super::InputError;

/// A ticket code as a door scanner or a person typed it, normalised the Crockford way:
/// trimmed, upper-cased, and the look-alikes O → 0 and I, L → 1 mapped (our codes are
/// Crockford base32, which never uses O, I or L, so the mapping cannot change a real code).
pub fn normalise_ticket_code(raw: &str) -> String {
    raw.trim()
        .chars()
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            other => other,
        })
        .collect()
}

/// Whether `code` (normalised) can be a ticket code at all: 26 Crockford characters. Anything
/// else is answered UNKNOWN without a database read.
pub fn looks_like_ticket_code(code: &str) -> bool {
    code.len() == 26
        && code
            .bytes()
            .all(|b| b.is_ascii_digit() || (b.is_ascii_uppercase() && !b"ILOU".contains(&b)))
}

const DOOR_MAX: usize = 60;
const REASON_MAX: usize = 500;

/// The door a check-in happened at: 1 to 60 characters after trimming.
pub fn door(raw: &str) -> Result<String, InputError> {
    bounded(raw, DOOR_MAX, "door")
}

/// Why staff refunded a booking: 1 to 500 characters after trimming; kept in the saga log.
pub fn refund_reason(raw: &str) -> Result<String, InputError> {
    bounded(raw, REASON_MAX, "reason")
}

fn bounded(raw: &str, max: usize, field: &'static str) -> Result<String, InputError> {
    let value = raw.trim();
    let chars = value.chars().count();
    if chars == 0 || chars > max {
        return Err(InputError::Length { field, max });
    }
    Ok(value.to_owned())
}

/// What a staff search (`findBookings`) is after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BookingSearch {
    Id(Uuid),
    /// Lower-cased: emails are stored lower-cased for this lookup.
    Email(String),
    /// Normalised as at the door.
    TicketCode(String),
}

/// The most bookings an email search returns (newest first).
pub const SEARCH_LIMIT: i64 = 50;

impl BookingSearch {
    pub fn parse(raw: &str) -> Self {
        let query = raw.trim();
        if let Ok(id) = Uuid::parse_str(query) {
            return Self::Id(id);
        }
        if query.contains('@') {
            return Self::Email(query.to_lowercase());
        }
        Self::TicketCode(normalise_ticket_code(query))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ticket_codes_are_read_the_crockford_way() {
        assert_eq!(normalise_ticket_code("  abc-oil  "), "ABC-011");
        let code = crate::domain::ticket_code().expect("random");
        assert_eq!(normalise_ticket_code(&code.to_lowercase()), code);
        assert!(looks_like_ticket_code(&code));
        assert!(!looks_like_ticket_code("garbage"));
        assert!(!looks_like_ticket_code(&"U".repeat(26)));
    }

    #[test]
    fn doors_and_reasons_are_bounded() {
        assert_eq!(door("  Door 3 ").as_deref(), Ok("Door 3"));
        assert!(door("   ").is_err());
        assert!(door(&"d".repeat(61)).is_err());
        assert!(door(&"é".repeat(60)).is_ok());
        assert!(refund_reason(&"r".repeat(500)).is_ok());
        assert!(refund_reason(&"r".repeat(501)).is_err());
        assert!(refund_reason("").is_err());
    }

    #[test]
    fn a_search_is_an_id_an_email_or_a_ticket_code() {
        let id = Uuid::now_v7();
        assert_eq!(
            BookingSearch::parse(&format!(" {id} ")),
            BookingSearch::Id(id)
        );
        assert_eq!(
            BookingSearch::parse(" Ada@Example.COM "),
            BookingSearch::Email("ada@example.com".into())
        );
        assert_eq!(
            BookingSearch::parse("abco"),
            BookingSearch::TicketCode("ABC0".into())
        );
    }
}
