//! The resumable part of the saga: from any recorded step, do the next thing. Live requests
//! call it after their own step; the recovery worker calls it for bookings whose driver died
//! (lease ran out) and the expiry worker for unpaid bookings past their hold.

use boxoffice_payments::domain::{PaymentStatus, RefundStatus};
use chrono::Utc;
use tracing::Instrument;
use uuid::Uuid;

use super::{Lease, Saga, SagaError};
use crate::clients::{CinemaError, PayError};
use crate::domain::{BookingStatus, SagaStep, refund_key};
use crate::store::{Booking, LogEntry};

impl Saga {
    /// Advances `b` until it rests (held, confirmed, closed, failed) or a dependency fails.
    pub(crate) async fn drive(&self, b: &mut Booking, lease: &Lease) -> Result<(), SagaError> {
        loop {
            if matches!(
                b.step,
                SagaStep::Held | SagaStep::Confirmed | SagaStep::Closed | SagaStep::Failed
            ) {
                return Ok(());
            }
            let span = tracing::info_span!(
                "saga step",
                otel.name = %format!("saga {}", b.step.as_str()),
                booking = %b.id,
                step = b.step.as_str(),
            );
            self.advance(b, lease).instrument(span).await?;
        }
    }

    /// Does the one thing the in-flight step `b.step` needs and records the next step.
    async fn advance(&self, b: &mut Booking, lease: &Lease) -> Result<(), SagaError> {
        {
            match b.step {
                SagaStep::Held | SagaStep::Confirmed | SagaStep::Closed | SagaStep::Failed => {}
                SagaStep::Holding => {
                    // Whether the hold exists is unknown: release it (idempotent) and end the
                    // booking, as failed if it never held anything, else as expired.
                    let closing = if b.hold_id == b.id {
                        BookingStatus::Failed
                    } else {
                        BookingStatus::Expired
                    };
                    b.closing_status = Some(closing);
                    let log = LogEntry::new(SagaStep::Holding, "failed", Some("resumed".into()));
                    self.record(b, lease, SagaStep::Releasing, log).await?;
                }
                SagaStep::Charging => self.settle_charge(b, lease).await?,
                SagaStep::Charged => match self.cinema.confirm(b.hold_id).await {
                    Ok(_) => self.confirmed(b, lease).await?,
                    Err(CinemaError::HoldGone | CinemaError::NotFound(_)) => {
                        // Compensation: the money came in but the seats are gone.
                        b.closing_status = Some(BookingStatus::Refunded);
                        let log =
                            LogEntry::new(SagaStep::Charged, "failed", Some("hold gone".into()));
                        self.record(b, lease, SagaStep::Refunding, log).await?;
                    }
                    Err(e) => return Err(e.into()),
                },
                SagaStep::Refunding => {
                    let payment = b
                        .payment_id
                        .ok_or_else(|| SagaError::Internal("refunding without a payment".into()))?;
                    match self.payments.refund(payment, &refund_key(b.id)).await {
                        Ok(refund) if refund.status == RefundStatus::Succeeded => {}
                        // Not (yet) given back: stay in `refunding`; recovery asks again.
                        Ok(refund) => {
                            return Err(SagaError::Unavailable(format!(
                                "the refund is {}; it will be retried",
                                refund.status.as_str()
                            )));
                        }
                        // Nothing left to refund: an earlier attempt did it.
                        Err(PayError::Rejected { reason, .. })
                            if reason.as_deref() == Some("refund_exceeds_charge") => {}
                        Err(e) => return Err(e.into()),
                    }
                    let log = LogEntry::new(SagaStep::Refunding, "done", None);
                    self.record(b, lease, SagaStep::Releasing, log).await?;
                }
                SagaStep::Releasing => {
                    match self.cinema.release(b.hold_id).await {
                        Ok(()) | Err(CinemaError::HoldGone) => {}
                        Err(CinemaError::HoldConfirmed) => {
                            // The cinema API cannot release sold seats (ReleaseHold refuses a
                            // confirmed hold); the money is back, the seats stay sold.
                            tracing::warn!(booking = %b.id, "seats of a refunded booking stay sold");
                        }
                        Err(e) => return Err(e.into()),
                    }
                    let status = b.closing_status.unwrap_or(BookingStatus::Cancelled);
                    let log = LogEntry::new(SagaStep::Releasing, "done", None);
                    self.close(b, lease, status, log).await?;
                }
            }
        }
        Ok(())
    }

    /// A charge whose answer was lost: ask payments what happened to this booking.
    async fn settle_charge(&self, b: &mut Booking, lease: &Lease) -> Result<(), SagaError> {
        let payments = self.payments.for_booking(b.id).await?;
        if let Some(p) = payments
            .iter()
            .find(|p| p.status == PaymentStatus::Succeeded && p.amount_refunded < p.amount)
        {
            b.payment_id = Some(p.id);
            let log = LogEntry::new(SagaStep::Charging, "done", Some("settled".into()));
            return self.record(b, lease, SagaStep::Charged, log).await;
        }
        if payments
            .iter()
            .any(|p| p.status == PaymentStatus::Processing)
        {
            return Err(SagaError::Unavailable(
                "a payment is still processing".into(),
            ));
        }
        let log = LogEntry::new(SagaStep::Charging, "failed", Some("no capture".into()));
        self.record(b, lease, SagaStep::Held, log).await
    }

    /// Resumes one stuck booking, if no one else is driving it. Returns whether it did.
    pub async fn recover_one(&self, id: Uuid) -> Result<bool, SagaError> {
        let Some(lease) = self.lease(id).await? else {
            return Ok(false);
        };
        let outcome = async {
            let mut b = self.reload(id).await?;
            self.drive(&mut b, &lease).await
        }
        .await;
        self.unlease(id, &lease).await;
        outcome.map(|()| true)
    }

    /// Expires one unpaid booking past its hold: release, EXPIRED, `booking.expired`.
    pub async fn expire_one(&self, id: Uuid) -> Result<bool, SagaError> {
        let Some(lease) = self.lease(id).await? else {
            return Ok(false);
        };
        let outcome = async {
            let mut b = self.reload(id).await?;
            let lapsed = b.hold_expires_at.is_some_and(|t| t < Utc::now());
            if b.step != SagaStep::Held || !lapsed {
                return Ok(false);
            }
            b.closing_status = Some(BookingStatus::Expired);
            let log = LogEntry::new(SagaStep::Releasing, "started", Some("expired".into()));
            self.record(&mut b, &lease, SagaStep::Releasing, log)
                .await?;
            self.drive(&mut b, &lease).await.map(|()| true)
        }
        .await;
        self.unlease(id, &lease).await;
        outcome
    }
}

impl Saga {
    /// Refunds whatever capture a closed booking still has (one that landed after its saga
    /// gave up on the charge), then marks the booking checked. Returns how many it refunded.
    pub async fn sweep_captures(&self, id: Uuid) -> Result<usize, SagaError> {
        let mut refunded = 0;
        for payment in self.payments.for_booking(id).await? {
            if payment.status != PaymentStatus::Succeeded
                || payment.amount_refunded >= payment.amount
            {
                continue;
            }
            let key = format!("booking:{id}:orphan:{}", payment.id);
            let refund = self.payments.refund(payment.id, &key).await?;
            if refund.status != RefundStatus::Succeeded {
                return Err(SagaError::Unavailable(format!(
                    "the refund of orphan capture {} is {}",
                    payment.id,
                    refund.status.as_str()
                )));
            }
            tracing::warn!(booking = %id, payment = %payment.id, "refunded a capture of a closed booking");
            refunded += 1;
        }
        self.store.mark_checked(id, Utc::now()).await?;
        Ok(refunded)
    }
}
