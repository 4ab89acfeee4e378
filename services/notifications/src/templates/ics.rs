//! The `.ics` calendar event (RFC 5545) attached to a booking confirmation: the show in the
//! cinema's own time zone, with its address as the location.

use chrono::{DateTime, Offset, Utc};
use chrono_tz::Tz;

use boxoffice_events::payloads::BookingConfirmed;

/// Without an end in the event, the calendar entry lasts this long: a typical feature.
const DEFAULT_LENGTH_MINUTES: i64 = 120;

/// The calendar file for `booking`. An unknown time zone name falls back to UTC.
pub fn booking_ics(booking: &BookingConfirmed, stamp: DateTime<Utc>) -> String {
    let tz: Tz = booking.cinema.time_zone.parse().unwrap_or(Tz::UTC);
    let start = booking.starts_at.with_timezone(&tz);
    let end =
        (booking.starts_at + chrono::Duration::minutes(DEFAULT_LENGTH_MINUTES)).with_timezone(&tz);
    let offset = format_offset(start.offset().fix().local_minus_utc());
    let tzid = tz.name();
    let lines = [
        "BEGIN:VCALENDAR".to_owned(),
        "VERSION:2.0".to_owned(),
        "PRODID:-//boxoffice//notifications//EN".to_owned(),
        "CALSCALE:GREGORIAN".to_owned(),
        "METHOD:PUBLISH".to_owned(),
        // One STANDARD observance with the offset in force at the show is enough to place this
        // single event exactly; clients that know the IANA name use their own rules anyway.
        "BEGIN:VTIMEZONE".to_owned(),
        format!("TZID:{tzid}"),
        "BEGIN:STANDARD".to_owned(),
        "DTSTART:19700101T000000".to_owned(),
        format!("TZOFFSETFROM:{offset}"),
        format!("TZOFFSETTO:{offset}"),
        "END:STANDARD".to_owned(),
        "END:VTIMEZONE".to_owned(),
        "BEGIN:VEVENT".to_owned(),
        format!("UID:booking-{}@boxoffice", booking.booking_id),
        format!("DTSTAMP:{}", stamp.format("%Y%m%dT%H%M%SZ")),
        format!("DTSTART;TZID={tzid}:{}", start.format("%Y%m%dT%H%M%S")),
        format!("DTEND;TZID={tzid}:{}", end.format("%Y%m%dT%H%M%S")),
        format!(
            "SUMMARY:{}",
            escape(&format!(
                "{} at {}",
                booking.movie_title, booking.cinema.name
            ))
        ),
        format!(
            "LOCATION:{}",
            escape(&format!(
                "{}, {}",
                booking.cinema.name, booking.cinema.address
            ))
        ),
        format!(
            "DESCRIPTION:{}",
            escape(&format!(
                "{}: seats {}. Show the QR codes from your confirmation email at the entrance.",
                booking.auditorium,
                booking.seats.join(", ")
            ))
        ),
        "END:VEVENT".to_owned(),
        "END:VCALENDAR".to_owned(),
    ];
    lines.iter().map(|l| fold(l)).collect()
}

fn format_offset(seconds: i32) -> String {
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}{:02}", minutes / 60, minutes % 60)
}

/// TEXT escaping of RFC 5545 §3.3.11.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out
}

/// A content line folded at 75 octets (never inside a UTF-8 sequence), ending in CRLF.
fn fold(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_signed_hours_and_minutes() {
        assert_eq!(format_offset(3600), "+0100");
        assert_eq!(format_offset(-5 * 3600), "-0500");
        assert_eq!(format_offset(19800), "+0530");
    }

    #[test]
    fn long_lines_are_folded_and_text_is_escaped() {
        let folded = fold(&"x".repeat(100));
        assert!(folded.lines().all(|l| l.len() <= 75));
        assert_eq!(escape("a, b; c\\d\ne"), "a\\, b\\; c\\\\d\\ne");
    }
}
