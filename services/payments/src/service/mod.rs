//! The use cases: paying, refunding, recovering unfinished work, auditing the ledger.
//!
//! Every write follows the same three atomic phases (ADR 0202): claim the idempotency key and
//! create the resource in one transaction; ask the processor, outside any transaction, with
//! the resource id as the processor's idempotency key; record the outcome, ledger entry,
//! outbox event and the answer to replay in one transaction. A crash between phases leaves
//! an unfinished key that a retry with the same key, or the recovery pass (`recovery.rs`),
//! takes over.

use std::sync::Arc;
use std::time::Duration;

use boxoffice_outbox::EventEnvelope;
use chrono::{Datelike, SubsecRound, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

mod recovery;

pub use recovery::AuditReport;

use crate::domain::{
    DeclineCode, Money, NewPayment, NewRefund, PaymentStatus, RefundStatus, ValidatedCard,
    ValidationError,
};
use crate::model::{CreatePayment, CreateRefund, Payment, Refund};
use crate::processor::{
    CardProcessor, ChargeOutcome, ChargeRequest, ProcessorError, RefundOutcome,
};
use crate::store::{
    Claim, KeyClaim, PaymentFinish, PaymentRecord, PaymentStore, RefundDraft, RefundFinish,
    RefundRejection, RefundWork, StoreError, StoredResponse,
};

/// What a client can act on; everything else is an opaque 500.
#[derive(Debug, thiserror::Error)]
pub enum PaymentError {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("a request with this idempotency key is still being processed")]
    KeyInUse,
    #[error("this idempotency key was used with different parameters")]
    KeyReused,
    #[error("payment not found")]
    NotFound,
    #[error("refund rejected")]
    RefundRejected(RefundRejection),
    /// The processor's answer is unknown; a retry with the same key is safe.
    #[error("card processor unavailable")]
    ProcessorUnavailable,
    /// Fault injection: the request stopped as if the process had died.
    #[error("simulated crash")]
    SimulatedCrash,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// An answer to a write: the status and body to send, and whether it is a replay.
#[derive(Debug, Clone, PartialEq)]
pub struct Answer {
    pub status: u16,
    pub body: Value,
    pub replayed: bool,
}

impl Answer {
    fn fresh(stored: StoredResponse) -> Self {
        Self {
            status: stored.status,
            body: stored.body,
            replayed: false,
        }
    }

    fn replay(stored: StoredResponse) -> Self {
        Self {
            status: stored.status,
            body: stored.body,
            replayed: true,
        }
    }
}

/// Limits the use cases enforce.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub max_amount: i64,
    /// How long a call to the processor may take before its outcome counts as unknown.
    pub processor_timeout: Duration,
    /// How long a key stays locked by a request before another may take the work over.
    pub lock_timeout: Duration,
}

pub struct Payments {
    store: Arc<dyn PaymentStore>,
    processor: Arc<dyn CardProcessor>,
    limits: Limits,
}

impl Payments {
    pub fn new(
        store: Arc<dyn PaymentStore>,
        processor: Arc<dyn CardProcessor>,
        limits: Limits,
    ) -> Self {
        Self {
            store,
            processor,
            limits,
        }
    }

    pub fn store(&self) -> &Arc<dyn PaymentStore> {
        &self.store
    }

    fn claim(&self, key: &str, fingerprint: String) -> KeyClaim {
        // Microseconds: what PostgreSQL keeps, so a stored answer and a later read agree.
        let now = Utc::now().trunc_subsecs(6);
        KeyClaim {
            key: key.to_owned(),
            fingerprint,
            now,
            lock_cutoff: now - delta(self.limits.lock_timeout),
        }
    }

    #[tracing::instrument(skip_all, fields(booking_id = %request.booking_id))]
    pub async fn create_payment(
        &self,
        key: &str,
        request: &CreatePayment,
    ) -> Result<Answer, PaymentError> {
        let today = Utc::now();
        let money = Money::new(request.amount, &request.currency, self.limits.max_amount)?;
        let card = ValidatedCard::validate(&request.card, (today.year(), today.month()))?;
        let new = NewPayment {
            booking_id: request.booking_id,
            money,
            card,
        };
        let claim = self.claim(key, new.fingerprint());
        let draft = PaymentRecord {
            id: Uuid::now_v7(),
            booking_id: new.booking_id,
            amount: money.amount,
            currency: money.currency.code().to_owned(),
            status: PaymentStatus::Processing,
            decline_code: None,
            card: new.card.card().clone(),
            amount_refunded: 0,
            created_at: claim.now,
        };
        let payment = match self.store.claim_payment(&claim, &draft).await? {
            Claim::Proceed(payment) => payment,
            other => return replay_or_refuse(other),
        };
        tracing::info!(payment_id = %payment.id, brand = payment.card.brand.as_str(), last4 = %payment.card.last4, "charging");
        let request = ChargeRequest {
            key: payment.id,
            money,
            card: &new.card,
        };
        let outcome = tokio::time::timeout(
            self.limits.processor_timeout,
            self.processor.charge(request),
        )
        .await;
        match outcome {
            Ok(Ok(outcome)) => Ok(Answer::fresh(
                self.finish_payment(key, &payment, outcome).await?,
            )),
            Ok(Err(ProcessorError::SimulatedCrash)) => Err(PaymentError::SimulatedCrash),
            Ok(Err(ProcessorError::Unavailable(cause))) => self.unknown_outcome(key, &cause).await,
            Err(_) => self.unknown_outcome(key, "timed out").await,
        }
    }

    async fn unknown_outcome(&self, key: &str, cause: &str) -> Result<Answer, PaymentError> {
        tracing::warn!(
            cause,
            "processor outcome unknown; the key stays open for a retry or recovery"
        );
        self.store.release_key(key, Utc::now()).await?;
        Err(PaymentError::ProcessorUnavailable)
    }

    async fn finish_payment(
        &self,
        key: &str,
        payment: &PaymentRecord,
        outcome: ChargeOutcome,
    ) -> Result<StoredResponse, PaymentError> {
        let (status, decline_code) = match outcome {
            ChargeOutcome::Succeeded => (PaymentStatus::Succeeded, None),
            ChargeOutcome::Declined(code) => (PaymentStatus::Declined, Some(code)),
            ChargeOutcome::Failed(code) => (PaymentStatus::Failed, Some(code)),
            // Never charged: the attempt is over, and the key is void at the processor.
            ChargeOutcome::Canceled => (PaymentStatus::Failed, Some(DeclineCode::ProcessingError)),
        };
        let finished = PaymentRecord {
            status,
            decline_code,
            ..payment.clone()
        };
        let view = Payment::from(&finished);
        let event = if status == PaymentStatus::Succeeded {
            Some(event(
                "payment.captured",
                json!({
                    "payment_id": view.id,
                    "booking_id": view.booking_id,
                    "amount": view.amount,
                    "currency": view.currency,
                    "card": view.card,
                }),
            )?)
        } else {
            None
        };
        let finish = PaymentFinish {
            key: key.to_owned(),
            payment_id: payment.id,
            status,
            decline_code,
            event,
            response: StoredResponse {
                status: 201,
                body: to_json(&view)?,
            },
            now: Utc::now(),
        };
        let stored = self.store.finish_payment(&finish).await?;
        if stored == finish.response {
            // Ours, not a finish that another request or the recovery pass got to first.
            metrics::counter!("boxoffice_payments_finished_total", "status" => status.as_str())
                .increment(1);
        }
        tracing::info!(payment_id = %payment.id, status = status.as_str(), decline_code = decline_code.map(|c| c.as_str()), "payment finished");
        Ok(stored)
    }

    #[tracing::instrument(skip_all, fields(payment_id = %payment_id))]
    pub async fn refund(
        &self,
        key: &str,
        payment_id: Uuid,
        request: &CreateRefund,
    ) -> Result<Answer, PaymentError> {
        let new = NewRefund::new(payment_id, request.amount, request.reason.clone())?;
        let claim = self.claim(key, new.fingerprint());
        let draft = RefundDraft {
            id: Uuid::now_v7(),
            payment_id,
            amount: new.amount,
            reason: new.reason,
        };
        let work = match self.store.claim_refund(&claim, &draft).await? {
            Claim::Proceed(work) => work,
            other => return replay_or_refuse(other),
        };
        let call = self
            .processor
            .refund(work.refund.id, work.payment.id, work.refund.amount);
        match tokio::time::timeout(self.limits.processor_timeout, call).await {
            Ok(Ok(outcome)) => Ok(Answer::fresh(
                self.finish_refund(key, &work, outcome).await?,
            )),
            Ok(Err(ProcessorError::SimulatedCrash)) => Err(PaymentError::SimulatedCrash),
            Ok(Err(ProcessorError::Unavailable(cause))) => self.unknown_outcome(key, &cause).await,
            Err(_) => self.unknown_outcome(key, "timed out").await,
        }
    }

    async fn finish_refund(
        &self,
        key: &str,
        work: &RefundWork,
        outcome: RefundOutcome,
    ) -> Result<StoredResponse, PaymentError> {
        let status = match outcome {
            RefundOutcome::Succeeded => RefundStatus::Succeeded,
            RefundOutcome::Declined | RefundOutcome::Canceled => RefundStatus::Failed,
        };
        let mut refund = work.refund.clone();
        refund.status = status;
        let view = Refund::from_record(&refund, &work.payment.currency);
        let event = if status == RefundStatus::Succeeded {
            Some(event(
                "payment.refunded",
                json!({
                    "payment_id": work.payment.id,
                    "refund_id": refund.id,
                    "booking_id": work.payment.booking_id,
                    "amount": refund.amount,
                    "currency": work.payment.currency,
                    "amount_refunded": work.payment.amount_refunded + refund.amount,
                }),
            )?)
        } else {
            None
        };
        let finish = RefundFinish {
            key: key.to_owned(),
            refund_id: refund.id,
            status,
            event,
            response: StoredResponse {
                status: 201,
                body: to_json(&view)?,
            },
            now: Utc::now(),
        };
        let stored = self.store.finish_refund(&finish).await?;
        if stored == finish.response {
            metrics::counter!("boxoffice_refunds_finished_total", "status" => status.as_str())
                .increment(1);
        }
        tracing::info!(refund_id = %refund.id, status = status.as_str(), amount = refund.amount, "refund finished");
        Ok(stored)
    }

    pub async fn payment(&self, id: Uuid) -> Result<Payment, PaymentError> {
        let record = self
            .store
            .payment(id)
            .await?
            .ok_or(PaymentError::NotFound)?;
        Ok(Payment::from(&record))
    }

    pub async fn payments_for_booking(
        &self,
        booking_id: Uuid,
    ) -> Result<Vec<Payment>, PaymentError> {
        let records = self.store.payments_for_booking(booking_id).await?;
        Ok(records.iter().map(Payment::from).collect())
    }
}

fn replay_or_refuse<T>(claim: Claim<T>) -> Result<Answer, PaymentError> {
    match claim {
        Claim::Replay(stored) => Ok(Answer::replay(stored)),
        Claim::InFlight => Err(PaymentError::KeyInUse),
        Claim::Mismatch => Err(PaymentError::KeyReused),
        Claim::Rejected(RefundRejection::PaymentNotFound) => Err(PaymentError::NotFound),
        Claim::Rejected(rejection) => Err(PaymentError::RefundRejected(rejection)),
        Claim::Proceed(_) => Err(PaymentError::Store(StoreError::Corrupt(
            "unexpected claim".into(),
        ))),
    }
}

fn event(event_type: &str, data: Value) -> Result<EventEnvelope, PaymentError> {
    EventEnvelope::new(event_type, data)
        .map_err(|e| PaymentError::Store(StoreError::Corrupt(e.to_string())))
}

fn to_json(value: &impl serde::Serialize) -> Result<Value, PaymentError> {
    serde_json::to_value(value).map_err(|e| PaymentError::Store(StoreError::Corrupt(e.to_string())))
}

/// `d` as a chrono delta; absurdly long durations saturate instead of failing.
fn delta(d: Duration) -> chrono::TimeDelta {
    chrono::TimeDelta::from_std(d).unwrap_or(chrono::TimeDelta::MAX)
}
