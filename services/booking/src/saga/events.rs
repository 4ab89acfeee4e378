//! The events a booking emits, built from what the booking row captured at creation, and the
//! transitions that write them to the outbox in the same transaction as the state change.

use boxoffice_events::payloads::{
    BookingCancelled, BookingClosed, BookingConfirmed, BookingExpired, BookingRefunded, CinemaInfo,
    EventPayload, Money, Recipient, Ticket,
};
use boxoffice_outbox::EventEnvelope;

use super::{Lease, Saga, SagaError};
use crate::domain::{BookingStatus, SagaStep, qr_svg, ticket_code};
use crate::store::{Booking, Change, LogEntry, TicketRecord};

fn recipient(b: &Booking) -> Recipient {
    Recipient {
        email: b.details.recipient_email.clone(),
        name: b.details.recipient_name.clone(),
        phone: None,
    }
}

fn cinema(b: &Booking) -> CinemaInfo {
    CinemaInfo {
        id: b.details.cinema_id,
        name: b.details.cinema_name.clone(),
        address: b.details.cinema_address.clone(),
        time_zone: b.details.time_zone.clone(),
    }
}

fn envelope(payload: &impl EventPayload) -> Result<EventEnvelope, SagaError> {
    payload
        .to_envelope()
        .map_err(|e| SagaError::Internal(e.to_string()))
}

fn closing_event(b: &Booking, status: BookingStatus) -> Result<Option<EventEnvelope>, SagaError> {
    let closed = BookingClosed {
        booking_id: b.id,
        user_id: b.user_id,
        recipient: recipient(b),
        movie_title: b.details.movie_title.clone(),
        cinema: cinema(b),
        starts_at: b.details.starts_at,
        seats: b.seat_ids.clone(),
        refund: (status == BookingStatus::Refunded).then(|| Money {
            amount: b.total_amount,
            currency: b.currency.clone(),
        }),
    };
    Ok(Some(match status {
        BookingStatus::Cancelled => envelope(&BookingCancelled(closed))?,
        BookingStatus::Expired => envelope(&BookingExpired(closed))?,
        BookingStatus::Refunded => envelope(&BookingRefunded(closed))?,
        _ => return Ok(None),
    }))
}

/// `boxoffice_bookings_total{outcome}`: a booking counted once per status it came to rest in,
/// after the write committed (a CONFIRMED booking later refunded counts under both).
fn count_outcome(status: BookingStatus) {
    metrics::counter!("boxoffice_bookings_total", "outcome" => status.as_str()).increment(1);
}

impl Saga {
    /// Ends the booking in `status` (CANCELLED, EXPIRED, REFUNDED or FAILED) with its event.
    pub(crate) async fn close(
        &self,
        b: &mut Booking,
        lease: &Lease,
        status: BookingStatus,
        log: LogEntry,
    ) -> Result<(), SagaError> {
        let event = closing_event(b, status)?;
        b.status = status;
        b.step = if status == BookingStatus::Failed {
            SagaStep::Failed
        } else {
            SagaStep::Closed
        };
        let change = Change {
            log: vec![log],
            event: event.as_ref(),
            ..Change::default()
        };
        self.save(b, lease, change).await?;
        count_outcome(status);
        Ok(())
    }

    /// CONFIRMED: one ticket per seat and `booking.confirmed`, all in one transaction, so
    /// there is never a confirmed booking without its tickets and its event or vice versa.
    pub(crate) async fn confirmed(&self, b: &mut Booking, lease: &Lease) -> Result<(), SagaError> {
        let mut tickets = Vec::with_capacity(b.seat_ids.len());
        for seat_id in &b.seat_ids {
            let code = ticket_code().map_err(|e| SagaError::Internal(e.to_string()))?;
            let qr = qr_svg(&code).map_err(|e| SagaError::Internal(e.to_string()))?;
            tickets.push(TicketRecord {
                code,
                booking_id: b.id,
                seat_id: seat_id.clone(),
                qr_svg: qr,
            });
        }
        let payload = BookingConfirmed {
            booking_id: b.id,
            user_id: b.user_id,
            recipient: recipient(b),
            showtime_id: b.showtime_id,
            movie_title: b.details.movie_title.clone(),
            cinema: cinema(b),
            auditorium: b.details.auditorium.clone(),
            starts_at: b.details.starts_at,
            seats: b.seat_ids.clone(),
            tickets: tickets
                .iter()
                .map(|t| Ticket {
                    code: t.code.clone(),
                    seat_id: t.seat_id.clone(),
                })
                .collect(),
            total: Money {
                amount: b.total_amount,
                currency: b.currency.clone(),
            },
        };
        let event = envelope(&payload)?;
        b.status = BookingStatus::Confirmed;
        b.step = SagaStep::Confirmed;
        let change = Change {
            log: vec![LogEntry::new(
                SagaStep::Charged,
                "done",
                Some("hold confirmed".into()),
            )],
            tickets: &tickets,
            event: Some(&event),
            ..Change::default()
        };
        self.save(b, lease, change).await?;
        count_outcome(BookingStatus::Confirmed);
        Ok(())
    }
}
