//! The payments service through its typed client, behind the payments circuit breaker.
//! Charges and refunds carry idempotency keys derived from the booking, which is what makes
//! retrying them safe: the same key never charges twice.

use boxoffice_payments::PaymentsClient;
use boxoffice_payments::client::{ClientError, Replayable};
use boxoffice_payments::model::{CreatePayment, CreateRefund, Payment, Refund};
use uuid::Uuid;

use super::resilience::{Breaker, CallError, CallPolicy};

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// The payments service refused the request itself (e.g. a card number that fails Luhn).
    #[error("payment refused: {title}")]
    Rejected {
        code: String,
        reason: Option<String>,
        title: String,
    },
    /// No answer: the outcome is unknown until asked again with the same key.
    #[error("payments unavailable: {0}")]
    Unavailable(String),
}

fn transient(error: &ClientError) -> bool {
    match error {
        ClientError::InFlight | ClientError::Unavailable | ClientError::Transport(_) => true,
        ClientError::Problem { status, .. } => *status >= 500,
    }
}

impl From<CallError<ClientError>> for PayError {
    fn from(error: CallError<ClientError>) -> Self {
        match error {
            CallError::Failed(ClientError::Problem {
                status,
                code,
                reason,
                title,
            }) if status < 500 => Self::Rejected {
                code,
                reason,
                title,
            },
            other => Self::Unavailable(other.to_string()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct PaymentsPort {
    inner: std::sync::Arc<Inner>,
}

struct Inner {
    client: PaymentsClient,
    breaker: Breaker,
    policy: CallPolicy,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PaymentsPort").finish_non_exhaustive()
    }
}

impl PaymentsPort {
    pub fn new(client: PaymentsClient, policy: CallPolicy, breaker: Breaker) -> Self {
        Self {
            inner: std::sync::Arc::new(Inner {
                client,
                breaker,
                policy,
            }),
        }
    }

    pub fn breaker(&self) -> &Breaker {
        &self.inner.breaker
    }

    /// Charges once per key, however often it is retried.
    pub async fn charge(&self, key: &str, request: &CreatePayment) -> Result<Payment, PayError> {
        let i = &self.inner;
        let r: Replayable<Payment> = i
            .breaker
            .call(&i.policy, true, transient, || {
                i.client.create_payment(key, request)
            })
            .await?;
        Ok(r.value)
    }

    pub async fn refund(&self, payment_id: Uuid, key: &str) -> Result<Refund, PayError> {
        let i = &self.inner;
        let request = CreateRefund {
            amount: None,
            reason: Some("booking cancelled".into()),
        };
        let r = i
            .breaker
            .call(&i.policy, true, transient, || {
                i.client.refund(payment_id, key, &request)
            })
            .await?;
        Ok(r.value)
    }

    pub async fn for_booking(&self, booking_id: Uuid) -> Result<Vec<Payment>, PayError> {
        let i = &self.inner;
        Ok(i.breaker
            .call(&i.policy, true, transient, || {
                i.client.payments_for_booking(booking_id)
            })
            .await?)
    }
}
