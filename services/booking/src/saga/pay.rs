//! payBooking and cancelBooking: the customer-driven transitions.

use boxoffice_auth::Caller;
use boxoffice_payments::domain::{CardInput, PaymentStatus};
use boxoffice_payments::model::CreatePayment;
use chrono::Utc;
use uuid::Uuid;

use super::{Faults, Lease, Saga, SagaError};
use crate::clients::PayError;
use crate::domain::{BookingStatus, SagaStep, charge_key};
use crate::store::{Booking, LogEntry};

fn not_payable(b: &Booking) -> SagaError {
    match b.status {
        BookingStatus::Expired => SagaError::HoldExpired("the booking expired".into()),
        _ if b.step.in_flight() => SagaError::Busy,
        status => SagaError::BadInput(format!("a {} booking cannot be paid", status.as_str())),
    }
}

impl Saga {
    #[tracing::instrument(name = "saga pay", skip_all, fields(booking = %id))]
    pub async fn pay(
        &self,
        caller: &Caller,
        id: Uuid,
        card: CardInput,
        client_key: &str,
    ) -> Result<Booking, SagaError> {
        let key = client_key.trim();
        if key.is_empty() || key.len() > 255 {
            return Err(SagaError::BadInput(
                "idempotencyKey must have 1 to 255 characters".into(),
            ));
        }
        let b = self.visible(caller, id).await?;
        if b.status == BookingStatus::Confirmed {
            // A retried payBooking after success: answer with the booking, charge nothing.
            return Ok(b);
        }
        let lease = self.lease(id).await?.ok_or(SagaError::Busy)?;
        let outcome = self.pay_leased(id, &lease, card, key).await;
        self.unlease(id, &lease).await;
        outcome
    }

    async fn pay_leased(
        &self,
        id: Uuid,
        lease: &Lease,
        card: CardInput,
        client_key: &str,
    ) -> Result<Booking, SagaError> {
        let mut b = self.reload(id).await?;
        if b.status == BookingStatus::Confirmed {
            return Ok(b);
        }
        if b.status != BookingStatus::Pending || b.step != SagaStep::Held {
            return Err(not_payable(&b));
        }
        // The same customer key again is a retry of the same attempt (same payments key,
        // so it cannot charge twice); a new key is a new attempt, e.g. another card.
        let attempt = if b.client_key.as_deref() == Some(client_key) && b.attempt > 0 {
            b.attempt
        } else {
            b.attempt + 1
        };
        // Every earlier attempt of a booking still unpaid failed (a success confirms it), so
        // this caps declines; checked before the re-hold and before payments hears of it.
        if attempt > self.config.max_payment_attempts {
            return Err(SagaError::PaymentAttemptsExceeded(format!(
                "this booking already had {} unsuccessful payment attempts \
                 (max_payment_attempts); cancel it and book again",
                self.config.max_payment_attempts
            )));
        }
        // What the customer was promised before this attempt: a re-hold below lasts only
        // for the charge, and a charge that does not succeed gives this deadline back.
        let deadline = b.hold_expires_at;
        self.ensure_hold(&mut b, lease).await?;
        b.attempt = attempt;
        b.client_key = Some(client_key.to_owned());
        let detail = Some(format!("attempt {attempt}"));
        let log = LogEntry::new(SagaStep::Charging, "started", detail);
        self.record(&mut b, lease, SagaStep::Charging, log).await?;

        let request = CreatePayment {
            booking_id: b.id,
            amount: b.total_amount,
            currency: b.currency.clone(),
            card,
        };
        let charged = self
            .payments
            .charge(&charge_key(b.id, attempt), &request)
            .await;
        Faults::halt(self.faults.halt_before_recording_charge.as_ref()).await;
        match charged {
            Ok(p) if p.status == PaymentStatus::Succeeded => {
                b.payment_id = Some(p.id);
                let log = LogEntry::new(SagaStep::Charging, "done", Some(p.id.to_string()));
                self.record(&mut b, lease, SagaStep::Charged, log).await?;
                Faults::halt(self.faults.halt_after_charge.as_ref()).await;
                self.drive(&mut b, lease).await?;
                match b.status {
                    BookingStatus::Confirmed => Ok(b),
                    BookingStatus::Refunded => Err(SagaError::HoldExpired(
                        "the seats were lost before the payment completed; it was refunded".into(),
                    )),
                    _ => Err(SagaError::Unavailable(
                        "payment received; the confirmation will complete shortly".into(),
                    )),
                }
            }
            Ok(p) if p.status == PaymentStatus::Processing => Err(SagaError::Unavailable(
                "the payment is still processing; it will be settled automatically".into(),
            )),
            Ok(p) => {
                let reason = p
                    .decline_code
                    .map_or_else(|| "declined".to_owned(), |c| format!("{c:?}"));
                let log = LogEntry::new(SagaStep::Charging, "failed", Some(reason.clone()));
                b.hold_expires_at = deadline;
                self.record(&mut b, lease, SagaStep::Held, log).await?;
                Err(SagaError::PaymentDeclined(format!(
                    "the card was declined ({reason}); try another card"
                )))
            }
            Err(PayError::Rejected { title, .. }) => {
                let log = LogEntry::new(SagaStep::Charging, "failed", Some(title.clone()));
                b.hold_expires_at = deadline;
                self.record(&mut b, lease, SagaStep::Held, log).await?;
                Err(SagaError::BadInput(title))
            }
            // Outcome unknown: the step stays `charging`; recovery asks payments later.
            Err(e) => Err(e.into()),
        }
    }

    /// Makes sure a live hold covers the seats before any money moves: an expired (or nearly
    /// expired) hold is replaced by a new one on the same seats if they are still free
    /// (HOLD_EXPIRED if not).
    ///
    /// A hold that is still well within its time is trusted without asking the cinema: only
    /// this saga (under its lease) releases it and the sweeper takes only lapsed holds. Should
    /// it be gone anyway, the confirm after the charge fails and the saga refunds the charge.
    async fn ensure_hold(&self, b: &mut Booking, lease: &Lease) -> Result<(), SagaError> {
        let margin = chrono::Duration::from_std(self.config.hold_margin).unwrap_or_default();
        if b.hold_expires_at.is_some_and(|t| t > Utc::now() + margin) {
            return Ok(());
        }
        self.cinema.release(b.hold_id).await.or_else(|e| match e {
            crate::clients::CinemaError::HoldGone => Ok(()),
            other => Err(other),
        })?;
        b.hold_id = Uuid::now_v7();
        let log = LogEntry::new(SagaStep::Holding, "started", Some("re-hold".into()));
        self.record(b, lease, SagaStep::Holding, log).await?;
        // The charge follows the new hold under the same lease.
        self.hold(b, &lease.kept_at_rest()).await
    }

    pub async fn cancel(&self, caller: &Caller, id: Uuid) -> Result<Booking, SagaError> {
        self.visible(caller, id).await?;
        let lease = self.lease(id).await?.ok_or(SagaError::Busy)?;
        let outcome = self.cancel_leased(id, &lease, &CancelledBy::Customer).await;
        self.unlease(id, &lease).await;
        outcome
    }

    /// Cancels (PENDING: release) or refunds (CONFIRMED) the leased booking.
    pub(crate) async fn cancel_leased(
        &self,
        id: Uuid,
        lease: &Lease,
        by: &CancelledBy,
    ) -> Result<Booking, SagaError> {
        let mut b = self.reload(id).await?;
        match (b.status, b.step) {
            (BookingStatus::Pending, SagaStep::Held) => {
                b.closing_status = Some(BookingStatus::Cancelled);
                let log = LogEntry::new(SagaStep::Releasing, "started", Some(by.detail()));
                self.record(&mut b, lease, SagaStep::Releasing, log).await?;
            }
            (BookingStatus::Confirmed, SagaStep::Confirmed) => {
                // A ticket used at the door is never refunded. Read only now, under the lease:
                // a check-in inserts only while no live lease is held (and locks the booking
                // row while it decides), so any check-in is either committed before we took
                // the lease — and seen here — or refused until we let go of it. The refund and
                // the check-in can never both succeed (ADR 0602).
                if !self.store.check_ins(b.id).await?.is_empty() {
                    return Err(SagaError::BadInput(
                        "a ticket of this booking was already used at the door".into(),
                    ));
                }
                if by.minds_cutoff()
                    && !self
                        .config
                        .refund_policy
                        .allows(b.details.starts_at, Utc::now())
                {
                    return Err(SagaError::BadInput(
                        "too late to cancel: refunds end before the show per the refund policy"
                            .into(),
                    ));
                }
                b.closing_status = Some(BookingStatus::Refunded);
                let log = LogEntry::new(SagaStep::Refunding, "started", Some(by.detail()));
                self.record(&mut b, lease, SagaStep::Refunding, log).await?;
            }
            (_, step) if step.in_flight() => return Err(SagaError::Busy),
            (status, _) => {
                return Err(SagaError::BadInput(format!(
                    "a {} booking cannot be cancelled",
                    status.as_str()
                )));
            }
        }
        self.drive(&mut b, lease).await?;
        Ok(b)
    }
}

/// Who cancels a booking, which decides whether the refund cut-off applies and what the saga
/// log says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum CancelledBy {
    Customer,
    /// An admin's refund (`staffRefundBooking`): no cut-off; the reason is kept in the log.
    Staff {
        admin: Uuid,
        reason: String,
    },
}

impl CancelledBy {
    fn minds_cutoff(&self) -> bool {
        matches!(self, Self::Customer)
    }

    fn detail(&self) -> String {
        match self {
            Self::Customer => "cancel".into(),
            Self::Staff { admin, reason } => format!("staff refund by {admin}: {reason}"),
        }
    }
}
