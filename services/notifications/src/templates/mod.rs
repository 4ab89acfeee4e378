//! The notifications' content: text and HTML for every email, an SMS text where one makes
//! sense. Pure functions of the event, so that a redelivered event renders the same message.

mod ics;
mod qr;

use boxoffice_events::payloads::{BookingClosed, BookingConfirmed, Money, UserRegistered};
use chrono::{DateTime, Utc};
use chrono_tz::Tz;

pub use ics::booking_ics;
pub use qr::{QrError, qr_png};

/// An email before it is addressed: what the templates produce.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
    /// Images referenced from the HTML as `cid:<content id>`.
    pub inline_images: Vec<InlineImage>,
    pub attachments: Vec<Attachment>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InlineImage {
    pub content_id: String,
    pub png: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attachment {
    pub filename: String,
    pub content_type: String,
    pub body: Vec<u8>,
}

pub fn welcome(user: &UserRegistered) -> RenderedEmail {
    let name = &user.name;
    plain_email(
        "Welcome to boxoffice".to_owned(),
        format!(
            "Hello {name},\n\nyour boxoffice account is ready. Pick a movie, choose your seats \
             on the live seat map and get your e-tickets by email.\n\nSee you at the movies!\n"
        ),
        format!(
            "<p>Hello {},</p><p>your boxoffice account is ready. Pick a movie, choose your seats \
             on the live seat map and get your e-tickets by email.</p><p>See you at the movies!</p>",
            escape_html(name)
        ),
    )
}

pub fn booking_confirmed(
    booking: &BookingConfirmed,
    stamp: DateTime<Utc>,
) -> Result<RenderedEmail, QrError> {
    let when = local_start(booking.starts_at, &booking.cinema.time_zone);
    let cinema = &booking.cinema;
    let mut text = format!(
        "Hello {},\n\nyour booking is confirmed.\n\n{}\n{} — {}\n{}\n{}\nSeats: {}\nTotal: {}\n\n\
         Your tickets (show the QR codes at the entrance):\n",
        booking.recipient.name,
        booking.movie_title,
        cinema.name,
        booking.auditorium,
        cinema.address,
        when,
        booking.seats.join(", "),
        format_money(&booking.total),
    );
    let mut html = format!(
        "<p>Hello {},</p><p>your booking is confirmed.</p><h2>{}</h2><p>{} — {}<br>{}<br>\
         <strong>{}</strong><br>Seats: {}<br>Total: {}</p><h3>Your tickets</h3>",
        escape_html(&booking.recipient.name),
        escape_html(&booking.movie_title),
        escape_html(&cinema.name),
        escape_html(&booking.auditorium),
        escape_html(&cinema.address),
        escape_html(&when),
        escape_html(&booking.seats.join(", ")),
        escape_html(&format_money(&booking.total)),
    );
    let mut inline_images = Vec::with_capacity(booking.tickets.len());
    for (i, ticket) in booking.tickets.iter().enumerate() {
        let content_id = format!("ticket-{}-{}@boxoffice", i + 1, booking.booking_id.simple());
        text.push_str(&format!("- seat {}: {}\n", ticket.seat_id, ticket.code));
        html.push_str(&format!(
            "<p>Seat {}<br><img src=\"cid:{content_id}\" alt=\"QR code of ticket {}\" \
             width=\"200\" height=\"200\"><br><code>{}</code></p>",
            escape_html(&ticket.seat_id),
            escape_html(&ticket.code),
            escape_html(&ticket.code),
        ));
        inline_images.push(InlineImage {
            content_id,
            png: qr_png(&ticket.code)?,
        });
    }
    text.push_str("\nThe attached calendar event has the time and place. Enjoy the show!\n");
    html.push_str("<p>The attached calendar event has the time and place. Enjoy the show!</p>");
    Ok(RenderedEmail {
        subject: format!("Your tickets: {} — {}", booking.movie_title, when),
        text,
        html,
        inline_images,
        attachments: vec![Attachment {
            filename: "booking.ics".to_owned(),
            content_type: "text/calendar; charset=utf-8; method=PUBLISH".to_owned(),
            body: booking_ics(booking, stamp).into_bytes(),
        }],
    })
}

/// Why a booking ended without a show, for the closing email.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closure {
    Cancelled,
    Refunded,
    Expired,
}

pub fn booking_closed(booking: &BookingClosed, closure: Closure) -> RenderedEmail {
    let when = local_start(booking.starts_at, &booking.cinema.time_zone);
    let show = format!(
        "{} at {}, {} (seats {})",
        booking.movie_title,
        booking.cinema.name,
        when,
        booking.seats.join(", ")
    );
    let (subject, sentence) = match closure {
        Closure::Cancelled => (
            format!("Booking cancelled: {}", booking.movie_title),
            "your booking was cancelled as you asked; nothing was charged.".to_owned(),
        ),
        Closure::Refunded => (
            format!("Booking refunded: {}", booking.movie_title),
            match &booking.refund {
                Some(refund) => format!(
                    "your booking was cancelled and {} is on its way back to your card.",
                    format_money(refund)
                ),
                None => "your booking was cancelled and refunded to your card.".to_owned(),
            },
        ),
        Closure::Expired => (
            format!("Your seats were released: {}", booking.movie_title),
            "the payment did not arrive in time, so the seats were released and nothing was \
             charged. You are welcome to book again."
                .to_owned(),
        ),
    };
    let name = &booking.recipient.name;
    plain_email(
        subject,
        format!("Hello {name},\n\n{sentence}\n\n{show}\n"),
        format!(
            "<p>Hello {},</p><p>{}</p><p>{}</p>",
            escape_html(name),
            escape_html(&sentence),
            escape_html(&show)
        ),
    )
}

/// The SMS text for a confirmed booking (the only event worth a text message).
pub fn booking_confirmed_sms(booking: &BookingConfirmed) -> String {
    format!(
        "boxoffice: {} at {}, {}. Seats {}. Tickets are in your email.",
        booking.movie_title,
        booking.cinema.name,
        local_start(booking.starts_at, &booking.cinema.time_zone),
        booking.seats.join(", ")
    )
}

fn plain_email(subject: String, text: String, html: String) -> RenderedEmail {
    RenderedEmail {
        subject,
        text,
        html: format!("<!doctype html><html><body>{html}</body></html>"),
        inline_images: Vec::new(),
        attachments: Vec::new(),
    }
}

/// The start as the cinema's clock shows it, e.g. `Tue 1 Dec 2026, 19:30 (CET)`.
pub fn local_start(starts_at: DateTime<Utc>, time_zone: &str) -> String {
    match time_zone.parse::<Tz>() {
        Ok(tz) => starts_at
            .with_timezone(&tz)
            .format("%a %-d %b %Y, %H:%M (%Z)")
            .to_string(),
        Err(_) => starts_at.format("%a %-d %b %Y, %H:%M UTC").to_string(),
    }
}

pub fn format_money(money: &Money) -> String {
    let sign = if money.amount < 0 { "-" } else { "" };
    let abs = money.amount.unsigned_abs();
    format!("{sign}{}.{:02} {}", abs / 100, abs % 100, money.currency)
}

fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn html_is_escaped_and_money_has_two_decimals() {
        assert_eq!(escape_html("<b>&\"'"), "&lt;b&gt;&amp;&quot;&#39;");
        let money = Money {
            amount: 2450,
            currency: "EUR".into(),
        };
        assert_eq!(format_money(&money), "24.50 EUR");
    }

    #[test]
    fn the_start_is_shown_in_the_cinemas_time_zone() {
        let start: DateTime<Utc> = "2026-12-01T18:30:00Z".parse().expect("time");
        assert_eq!(
            local_start(start, "Europe/Paris"),
            "Tue 1 Dec 2026, 19:30 (CET)"
        );
        assert_eq!(local_start(start, "Not/AZone"), "Tue 1 Dec 2026, 18:30 UTC");
    }
}
