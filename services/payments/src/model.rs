//! The REST representations, shared by the handlers and [`crate::PaymentsClient`].

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::domain::{Card, CardInput, DeclineCode, PaymentStatus, RefundStatus};
use crate::store::{PaymentRecord, RefundRecord};

/// `POST /api/v1/payments`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CreatePayment {
    pub booking_id: Uuid,
    /// Minor units of `currency`.
    pub amount: i64,
    pub currency: String,
    pub card: CardInput,
}

/// `POST /api/v1/payments/{id}/refunds`; no amount refunds what is left.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CreateRefund {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amount: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A payment. `status` is `succeeded`, `declined` (see `decline_code`), `failed` (a processor
/// error; a new attempt needs a new idempotency key) or, briefly, `processing`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Payment {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub status: PaymentStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decline_code: Option<DeclineCode>,
    pub amount: i64,
    pub currency: String,
    pub amount_refunded: i64,
    pub card: Card,
    pub created_at: DateTime<Utc>,
}

impl From<&PaymentRecord> for Payment {
    fn from(p: &PaymentRecord) -> Self {
        Self {
            id: p.id,
            booking_id: p.booking_id,
            status: p.status,
            decline_code: p.decline_code,
            amount: p.amount,
            currency: p.currency.clone(),
            amount_refunded: p.amount_refunded,
            card: p.card.clone(),
            created_at: p.created_at,
        }
    }
}

/// A refund; `status` is `succeeded`, `failed` (the processor refused it) or, briefly, `pending`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Refund {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub status: RefundStatus,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

impl Refund {
    pub fn from_record(r: &RefundRecord, currency: &str) -> Self {
        Self {
            id: r.id,
            payment_id: r.payment_id,
            amount: r.amount,
            currency: currency.to_owned(),
            status: r.status,
            reason: r.reason.clone(),
            created_at: r.created_at,
        }
    }
}

/// `GET /api/v1/payments?booking_id=…`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PaymentList {
    pub data: Vec<Payment>,
}
