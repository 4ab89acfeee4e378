//! The staff part of the schema: `checkIn`, `staffRefundBooking`, `findBookings`, and the
//! types of the staff-only `Booking` fields. Thin wrappers over `saga::check_in` and
//! `saga::staff`, which decide who may do what.

use async_graphql::dataloader::DataLoader;
use async_graphql::{ComplexObject, Context, Enum, ID, Object, Result, SimpleObject};
use boxoffice_payments::model::Payment;
use chrono::{DateTime, Utc};

use super::errors::{Gql, forbidden};
use super::loaders::ShowtimeLoader;
use super::types::{Booking, Showtime, loader_error};
use super::{ctx_caller, ctx_saga};
use crate::domain::parse_id;
use crate::saga::{CheckInAnswer, CheckInOutcome as Outcome};
use crate::store::{CheckInRecord, LogLine};

/// Staff (or admin) only; anyone else is FORBIDDEN, nobody signed in UNAUTHENTICATED.
pub(crate) fn require_staff(ctx: &Context<'_>) -> Result<()> {
    if ctx_caller(ctx)?.is_staff() {
        Ok(())
    } else {
        Err(forbidden())
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq, Debug)]
pub enum CheckInOutcome {
    Valid,
    AlreadyUsed,
    WrongShowtime,
    Refunded,
    Unknown,
}

impl From<Outcome> for CheckInOutcome {
    fn from(outcome: Outcome) -> Self {
        match outcome {
            Outcome::Valid => Self::Valid,
            Outcome::AlreadyUsed => Self::AlreadyUsed,
            Outcome::WrongShowtime => Self::WrongShowtime,
            Outcome::Refunded => Self::Refunded,
            Outcome::Unknown => Self::Unknown,
        }
    }
}

/// The door's answer. VALID and ALREADY_USED carry when and where the ticket was admitted
/// (the first time, for ALREADY_USED); WRONG_SHOWTIME names the ticket's own showtime.
#[derive(SimpleObject, Clone, Debug)]
#[graphql(complex)]
pub struct CheckInResult {
    pub outcome: CheckInOutcome,
    pub code: String,
    pub seat_id: Option<String>,
    pub booking_id: Option<ID>,
    pub showtime_id: Option<ID>,
    pub checked_in_at: Option<DateTime<Utc>>,
    pub door: Option<String>,
}

#[ComplexObject]
impl CheckInResult {
    async fn showtime(&self, ctx: &Context<'_>) -> Result<Option<Showtime>> {
        let Some(id) = &self.showtime_id else {
            return Ok(None);
        };
        let loader = ctx.data::<DataLoader<ShowtimeLoader>>()?;
        let showtime = loader
            .load_one(id.to_string())
            .await
            .map_err(loader_error)?;
        Ok(showtime.map(Showtime))
    }
}

impl From<CheckInAnswer> for CheckInResult {
    fn from(a: CheckInAnswer) -> Self {
        Self {
            outcome: a.outcome.into(),
            code: a.code,
            seat_id: a.seat_id,
            booking_id: a.booking_id.map(|id| ID(id.to_string())),
            showtime_id: a.showtime_id.map(|id| ID(id.to_string())),
            checked_in_at: a.checked_in_at,
            door: a.door,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct SagaLogLine {
    pub step: String,
    /// `started`, `done` or `failed`.
    pub phase: String,
    pub detail: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<LogLine> for SagaLogLine {
    fn from(line: LogLine) -> Self {
        Self {
            step: line.entry.step,
            phase: line.entry.phase.to_owned(),
            detail: line.entry.detail,
            at: line.at,
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct PaymentAttempt {
    pub id: ID,
    /// `processing`, `succeeded`, `declined` or `failed`.
    pub status: String,
    /// Minor units.
    pub amount: i64,
    pub amount_refunded: i64,
    pub currency: String,
    pub created_at: Option<DateTime<Utc>>,
}

impl From<Payment> for PaymentAttempt {
    fn from(p: Payment) -> Self {
        Self {
            id: ID(p.id.to_string()),
            status: p.status.as_str().to_owned(),
            amount: p.amount,
            amount_refunded: p.amount_refunded,
            currency: p.currency,
            created_at: Some(p.created_at),
        }
    }
}

#[derive(SimpleObject, Clone, Debug)]
pub struct CheckIn {
    pub ticket_code: String,
    pub seat_id: String,
    pub door: String,
    pub at: DateTime<Utc>,
}

impl From<CheckInRecord> for CheckIn {
    fn from(c: CheckInRecord) -> Self {
        Self {
            ticket_code: c.ticket_code,
            seat_id: c.seat_id,
            door: c.door,
            at: c.checked_in_at,
        }
    }
}

#[derive(Default)]
pub struct StaffQuery;

#[Object]
impl StaffQuery {
    /// Staff: bookings by booking id, customer email (any case; newest 50) or ticket code.
    async fn find_bookings(&self, ctx: &Context<'_>, query: String) -> Result<Vec<Booking>> {
        let caller = ctx_caller(ctx)?;
        let found = ctx_saga(ctx)?.find(caller, &query).await.gql()?;
        Ok(found.into_iter().map(Booking).collect())
    }
}

#[derive(Default)]
pub struct StaffMutation;

#[Object]
impl StaffMutation {
    /// Staff: admits a ticket at the door, exactly once.
    async fn check_in(
        &self,
        ctx: &Context<'_>,
        code: String,
        showtime_id: ID,
        door: String,
    ) -> Result<CheckInResult> {
        let caller = ctx_caller(ctx)?;
        let answer = ctx_saga(ctx)?
            .check_in(caller, &code, &showtime_id, &door)
            .await
            .gql()?;
        Ok(answer.into())
    }

    /// Admins: refunds a CONFIRMED booking whatever the cut-off (a PENDING one is cancelled).
    async fn staff_refund_booking(
        &self,
        ctx: &Context<'_>,
        booking_id: ID,
        reason: String,
    ) -> Result<Booking> {
        let caller = ctx_caller(ctx)?;
        let id = parse_id(&booking_id).gql()?;
        let booking = ctx_saga(ctx)?
            .staff_refund(caller, id, &reason)
            .await
            .gql()?;
        Ok(Booking(booking))
    }
}
