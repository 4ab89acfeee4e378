//! The card processor port. The real card network is outside the system, so the one adapter
//! is [`SimulatedProcessor`]; it behaves like a real processor where it matters here: it
//! dedupes by idempotency key, and it can be asked afterwards what happened to a key.

use async_trait::async_trait;
use uuid::Uuid;

use crate::domain::{DeclineCode, Money, ValidatedCard};

mod simulated;

pub use simulated::{ProcessorSettings, SimulatedProcessor};

/// What the processor did with a charge key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChargeOutcome {
    Succeeded,
    Declined(DeclineCode),
    /// The processor failed to process the charge; nothing was charged.
    Failed(DeclineCode),
    /// The key was never charged, and is now void: no later charge with it can succeed.
    Canceled,
}

/// What the processor did with a refund key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundOutcome {
    Succeeded,
    Declined,
    /// The key was never refunded, and is now void.
    Canceled,
}

#[derive(Debug, thiserror::Error)]
pub enum ProcessorError {
    /// The outcome is unknown (timeout, connection lost): the charge may or may not have
    /// happened. Asking again with the same key is safe.
    #[error("card processor unavailable: {0}")]
    Unavailable(String),
    /// Fault injection: stands for the payments process dying right after the processor
    /// charged or refunded. The caller must stop at once, recording nothing, as a dead process would.
    #[error("simulated crash after the processor acted")]
    SimulatedCrash,
}

/// A charge: `key` is the payment id, so a retry of the same payment can never charge twice.
pub struct ChargeRequest<'a> {
    pub key: Uuid,
    pub money: Money,
    pub card: &'a ValidatedCard,
}

#[async_trait]
pub trait CardProcessor: Send + Sync {
    /// Charges the card once per `key`: a repeated key returns the first outcome.
    async fn charge(&self, request: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError>;

    /// The outcome of an earlier charge with `key`; if there was none, voids the key (so that
    /// a charge still on its way cannot land later) and answers [`ChargeOutcome::Canceled`].
    /// This is how a crashed request is settled without the card data, which is never stored.
    async fn resolve_charge(&self, key: Uuid) -> Result<ChargeOutcome, ProcessorError>;

    /// Refunds `amount` of the charge `charge_key`, once per `key`.
    async fn refund(
        &self,
        key: Uuid,
        charge_key: Uuid,
        amount: i64,
    ) -> Result<RefundOutcome, ProcessorError>;

    /// Like [`CardProcessor::resolve_charge`], for refunds.
    async fn resolve_refund(
        &self,
        key: Uuid,
        charge_key: Uuid,
    ) -> Result<RefundOutcome, ProcessorError>;
}
