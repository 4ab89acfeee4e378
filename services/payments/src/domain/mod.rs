//! The payments domain: money, cards, payments, refunds and the ledger audit. Pure: no I/O.

pub mod card;
pub mod money;
pub mod payment;

pub use card::{Brand, Card, CardInput, ValidatedCard};
pub use money::{Currency, Money};
pub use payment::{
    DeclineCode, LedgerTotals, NewPayment, NewRefund, PaymentStatus, RefundStatus, audit_violations,
};

/// Why a request was refused before anything was stored. Each variant names the field at fault
/// so that the API can say which one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidationError {
    #[error("card number must be 12 to 19 digits")]
    CardNumberFormat,
    #[error("card number is not valid (Luhn check failed)")]
    CardNumberLuhn,
    #[error("card brand is not supported")]
    CardBrandUnsupported,
    #[error("card expiry month or year is not valid")]
    CardExpiryInvalid,
    #[error("card has expired")]
    CardExpired,
    #[error("cvc must be 3 or 4 digits")]
    CvcFormat,
    #[error("amount must be greater than zero")]
    AmountNotPositive,
    #[error("amount must be at most {max} minor units")]
    AmountTooLarge { max: i64 },
    #[error("currency is not a supported ISO 4217 code")]
    UnknownCurrency,
    #[error("reason must be at most 200 characters")]
    ReasonTooLong,
}

impl ValidationError {
    /// The request field the error is about, for the problem's `field` member.
    pub fn field(&self) -> &'static str {
        match self {
            Self::CardNumberFormat | Self::CardNumberLuhn | Self::CardBrandUnsupported => {
                "card.number"
            }
            Self::CardExpiryInvalid | Self::CardExpired => "card.exp_month",
            Self::CvcFormat => "card.cvc",
            Self::AmountNotPositive | Self::AmountTooLarge { .. } => "amount",
            Self::UnknownCurrency => "currency",
            Self::ReasonTooLong => "reason",
        }
    }
}
