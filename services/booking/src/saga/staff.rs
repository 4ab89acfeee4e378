//! What staff do besides the door: look bookings up, and (admins) refund them.

use boxoffice_auth::Caller;
use uuid::Uuid;

use super::{CancelledBy, Saga, SagaError};
use crate::domain::{
    BookingSearch, BookingStatus, SEARCH_LIMIT, looks_like_ticket_code, refund_reason,
};
use crate::store::Booking;

impl Saga {
    /// Any booking for staff, the caller's own for everyone else (NOT_FOUND otherwise, so
    /// that ids cannot be probed). For reading only: paying and cancelling use `visible`.
    pub async fn viewable(&self, caller: &Caller, id: Uuid) -> Result<Booking, SagaError> {
        match self.store.get(id).await? {
            Some(b)
                if b.status != BookingStatus::Failed
                    && (b.user_id == caller.user_id || caller.is_staff()) =>
            {
                Ok(b)
            }
            _ => Err(SagaError::NotFound),
        }
    }

    /// `findBookings`: by booking id, customer email or ticket code (staff and admins).
    pub async fn find(&self, caller: &Caller, query: &str) -> Result<Vec<Booking>, SagaError> {
        if !caller.is_staff() {
            return Err(SagaError::Forbidden);
        }
        let id = match BookingSearch::parse(query) {
            BookingSearch::Email(email) => {
                return Ok(self.store.for_email(&email, SEARCH_LIMIT).await?);
            }
            BookingSearch::Id(id) => id,
            BookingSearch::TicketCode(code) if looks_like_ticket_code(&code) => {
                match self.store.ticket(&code).await? {
                    Some(ticket) => ticket.booking_id,
                    None => return Ok(Vec::new()),
                }
            }
            BookingSearch::TicketCode(_) => return Ok(Vec::new()),
        };
        let found = self.store.get(id).await?;
        Ok(found
            .into_iter()
            .filter(|b| b.status != BookingStatus::Failed)
            .collect())
    }

    /// `staffRefundBooking` (admins only): a CONFIRMED booking is refunded whatever the
    /// cut-off, a PENDING one cancelled; the same saga, and so the same event, as a customer's
    /// cancel. A booking with a ticket used at the door is refused like any other cancel.
    pub async fn staff_refund(
        &self,
        caller: &Caller,
        id: Uuid,
        reason: &str,
    ) -> Result<Booking, SagaError> {
        if !caller.is_admin() {
            return Err(SagaError::Forbidden);
        }
        let reason = refund_reason(reason)?;
        self.viewable(caller, id).await?;
        let lease = self.lease(id).await?.ok_or(SagaError::Busy)?;
        let by = CancelledBy::Staff {
            admin: caller.user_id,
            reason,
        };
        let outcome = self.cancel_leased(id, &lease, &by).await;
        self.unlease(id, &lease).await;
        outcome
    }
}
