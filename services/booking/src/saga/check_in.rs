//! checkIn: admitting a ticket at the door, exactly once, never for a refunded booking.

use std::time::Duration;

use boxoffice_auth::Caller;
use chrono::{DateTime, SubsecRound, Utc};
use uuid::Uuid;

use super::{Saga, SagaError};
use crate::domain::{self, BookingStatus, looks_like_ticket_code, normalise_ticket_code, parse_id};
use crate::store::{CheckInRecord, NewCheckIn, TicketRecord};

/// The door's verdict on a ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CheckInOutcome {
    /// Admitted now.
    Valid,
    /// Admitted before (the answer names when and at which door).
    AlreadyUsed,
    /// A ticket of another showtime (the answer names which).
    WrongShowtime,
    /// The booking is not CONFIRMED (refunded or cancelled).
    Refunded,
    /// No such ticket.
    Unknown,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInAnswer {
    pub outcome: CheckInOutcome,
    /// The code as normalised.
    pub code: String,
    pub seat_id: Option<String>,
    pub booking_id: Option<Uuid>,
    /// The ticket's own showtime (not necessarily the one asked for).
    pub showtime_id: Option<Uuid>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub door: Option<String>,
}

impl CheckInAnswer {
    fn unknown(code: String) -> Self {
        Self {
            outcome: CheckInOutcome::Unknown,
            code,
            seat_id: None,
            booking_id: None,
            showtime_id: None,
            checked_in_at: None,
            door: None,
        }
    }

    fn of(ticket: &TicketRecord, showtime_id: Uuid, outcome: CheckInOutcome) -> Self {
        Self {
            outcome,
            code: ticket.code.clone(),
            seat_id: Some(ticket.seat_id.clone()),
            booking_id: Some(ticket.booking_id),
            showtime_id: Some(showtime_id),
            checked_in_at: None,
            door: None,
        }
    }

    fn used(mut self, outcome: CheckInOutcome, check_in: &CheckInRecord) -> Self {
        self.outcome = outcome;
        self.checked_in_at = Some(check_in.checked_in_at);
        self.door = Some(check_in.door.clone());
        self
    }
}

/// Waits between tries while the booking is leased: a cancel (or a refused one) holds the
/// lease for the few hundred milliseconds of its refund call. About 0.8 s in all, then BUSY so
/// that the door device retries rather than hanging.
const RETRY_WAITS_MS: [u64; 5] = [25, 50, 100, 200, 400];

impl Saga {
    pub async fn check_in(
        &self,
        caller: &Caller,
        code: &str,
        showtime_id: &str,
        door: &str,
    ) -> Result<CheckInAnswer, SagaError> {
        if !caller.is_staff() {
            return Err(SagaError::Forbidden);
        }
        let showtime_id = parse_id(showtime_id)?;
        let door = domain::door(door)?;
        let code = normalise_ticket_code(code);
        if !looks_like_ticket_code(&code) {
            return Ok(CheckInAnswer::unknown(code));
        }
        let Some(ticket) = self.store.ticket(&code).await? else {
            return Ok(CheckInAnswer::unknown(code));
        };
        let new = NewCheckIn {
            code: &ticket.code,
            showtime_id,
            door: &door,
            by: caller.user_id,
            at: Utc::now(),
        };
        for wait in RETRY_WAITS_MS
            .iter()
            .map(|ms| Some(Duration::from_millis(*ms)))
            .chain([None])
        {
            let b = self.reload(ticket.booking_id).await?;
            let answer = |outcome| CheckInAnswer::of(&ticket, b.showtime_id, outcome);
            if b.showtime_id != showtime_id {
                return Ok(answer(CheckInOutcome::WrongShowtime));
            }
            if b.status != BookingStatus::Confirmed {
                return Ok(answer(CheckInOutcome::Refunded));
            }
            if let Some(first) = self.store.check_in_of(&ticket.code).await? {
                return Ok(
                    answer(CheckInOutcome::AlreadyUsed).used(CheckInOutcome::AlreadyUsed, &first)
                );
            }
            // Microseconds, as PostgreSQL keeps them: the VALID answer and every later
            // ALREADY_USED answer name the same instant.
            let new = NewCheckIn {
                at: Utc::now().trunc_subsecs(6),
                ..new.clone()
            };
            if self.store.insert_check_in(&new).await? {
                let mine = CheckInRecord {
                    ticket_code: ticket.code.clone(),
                    booking_id: b.id,
                    showtime_id,
                    seat_id: ticket.seat_id.clone(),
                    door: door.clone(),
                    checked_in_by: caller.user_id,
                    checked_in_at: new.at,
                };
                return Ok(answer(CheckInOutcome::Valid).used(CheckInOutcome::Valid, &mine));
            }
            // Nothing inserted: another door admitted the ticket a moment ago, or the booking
            // is leased or between saga steps (a cancel is deciding). Look again.
            if let Some(first) = self.store.check_in_of(&ticket.code).await? {
                return Ok(
                    answer(CheckInOutcome::AlreadyUsed).used(CheckInOutcome::AlreadyUsed, &first)
                );
            }
            match wait {
                Some(wait) => tokio::time::sleep(wait).await,
                None => break,
            }
        }
        Err(SagaError::Busy)
    }
}
