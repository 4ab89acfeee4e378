//! `Booking` and its tickets: what the customer sees of their booking, and the fields only
//! staff may read (customer, saga history, payments, check-ins), each refused as FORBIDDEN to
//! anyone else.

use std::collections::HashMap;

use async_graphql::dataloader::DataLoader;
use async_graphql::{Context, ID, Result, SimpleObject};
use chrono::{DateTime, Utc};

use super::ctx_saga;
use super::errors::Gql;
use super::loaders::ShowtimeLoader;
use super::staff::{CheckIn, PaymentAttempt, SagaLogLine, require_staff};
use super::types::{BookingStatus, Money, Seat, SeatStatus, SeatType, Showtime, loader_error};
use crate::domain::BookingStatus as DomainStatus;
use crate::store::Booking as BookingRecord;

#[derive(SimpleObject, Clone, Debug)]
pub struct Ticket {
    pub code: String,
    pub seat_id: ID,
    pub qr_svg: String,
    /// When the ticket was admitted at the door; null while unused.
    pub checked_in_at: Option<DateTime<Utc>>,
}

pub struct Booking(pub BookingRecord);

#[async_graphql::Object]
impl Booking {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn status(&self) -> BookingStatus {
        match self.0.status {
            DomainStatus::Pending => BookingStatus::Pending,
            DomainStatus::Confirmed => BookingStatus::Confirmed,
            DomainStatus::Expired | DomainStatus::Failed => BookingStatus::Expired,
            DomainStatus::Cancelled => BookingStatus::Cancelled,
            DomainStatus::Refunded => BookingStatus::Refunded,
        }
    }

    async fn showtime(&self, ctx: &Context<'_>) -> Result<Option<Showtime>> {
        let loader = ctx.data::<DataLoader<ShowtimeLoader>>()?;
        let showtime = loader
            .load_one(self.0.showtime_id.to_string())
            .await
            .map_err(loader_error)?;
        Ok(showtime.map(Showtime))
    }

    async fn seats(&self) -> Vec<Seat> {
        let status = match self.0.status {
            DomainStatus::Confirmed => SeatStatus::Sold,
            DomainStatus::Pending => SeatStatus::Held,
            _ => SeatStatus::Available,
        };
        self.0
            .seats
            .iter()
            .map(|s| Seat {
                id: ID(s.id.clone()),
                row: s.row.clone(),
                number: s.number,
                seat_type: SeatType::from_name(&s.seat_type),
                status,
                price: Money {
                    amount: s.price,
                    currency: self.0.currency.clone(),
                },
            })
            .collect()
    }

    async fn total(&self) -> Money {
        Money {
            amount: self.0.total_amount,
            currency: self.0.currency.clone(),
        }
    }

    async fn hold_expires_at(&self) -> Option<DateTime<Utc>> {
        (self.0.status == DomainStatus::Pending)
            .then_some(self.0.hold_expires_at)
            .flatten()
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn tickets(&self, ctx: &Context<'_>) -> Result<Vec<Ticket>> {
        if self.0.status != DomainStatus::Confirmed {
            return Ok(Vec::new());
        }
        let store = ctx_saga(ctx)?.store();
        let (tickets, check_ins) =
            tokio::join!(store.tickets(self.0.id), store.check_ins(self.0.id));
        let mut used: HashMap<String, DateTime<Utc>> = check_ins
            .gql()?
            .into_iter()
            .map(|c| (c.ticket_code, c.checked_in_at))
            .collect();
        Ok(tickets
            .gql()?
            .into_iter()
            .map(|t| Ticket {
                checked_in_at: used.remove(&t.code),
                code: t.code,
                seat_id: ID(t.seat_id),
                qr_svg: t.qr_svg,
            })
            .collect())
    }

    /// Staff only.
    async fn customer_email(&self, ctx: &Context<'_>) -> Result<String> {
        require_staff(ctx)?;
        Ok(self.0.details.recipient_email.clone())
    }

    /// Staff only.
    async fn customer_name(&self, ctx: &Context<'_>) -> Result<String> {
        require_staff(ctx)?;
        Ok(self.0.details.recipient_name.clone())
    }

    /// Staff only: every saga step of the booking, oldest first.
    async fn history(&self, ctx: &Context<'_>) -> Result<Vec<SagaLogLine>> {
        require_staff(ctx)?;
        let lines = ctx_saga(ctx)?.store().saga_log(self.0.id).await.gql()?;
        Ok(lines.into_iter().map(SagaLogLine::from).collect())
    }

    /// Staff only: the payment attempts the payments service has for this booking.
    async fn payments(&self, ctx: &Context<'_>) -> Result<Vec<PaymentAttempt>> {
        require_staff(ctx)?;
        let payments = ctx_saga(ctx)?.payments.for_booking(self.0.id).await.gql()?;
        Ok(payments.into_iter().map(PaymentAttempt::from).collect())
    }

    /// Staff only: which tickets were admitted, where and when.
    async fn check_ins(&self, ctx: &Context<'_>) -> Result<Vec<CheckIn>> {
        require_staff(ctx)?;
        let check_ins = ctx_saga(ctx)?.store().check_ins(self.0.id).await.gql()?;
        Ok(check_ins.into_iter().map(CheckIn::from).collect())
    }
}
