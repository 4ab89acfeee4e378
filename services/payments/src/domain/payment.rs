//! Payments and refunds: their states, the request fingerprints that idempotency compares, and
//! the ledger audit rule.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{Money, ValidatedCard, ValidationError};

/// A payment's life: `processing` while the processor is being asked, then one final state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentStatus {
    Processing,
    Succeeded,
    Declined,
    Failed,
}

impl PaymentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Processing => "processing",
            Self::Succeeded => "succeeded",
            Self::Declined => "declined",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Processing,
            Self::Succeeded,
            Self::Declined,
            Self::Failed,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A refund reserves its amount while `pending`, so concurrent refunds can never together
/// exceed the charge; `failed` releases the reservation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundStatus {
    Pending,
    Succeeded,
    Failed,
}

impl RefundStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [Self::Pending, Self::Succeeded, Self::Failed]
            .into_iter()
            .find(|s| s.as_str() == text)
    }
}

/// Why a payment did not succeed, as Stripe names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclineCode {
    /// The issuer refused the card (status `declined`).
    CardDeclined,
    /// Not enough funds (status `declined`).
    InsufficientFunds,
    /// The processor failed; trying again with a new idempotency key may succeed (status
    /// `failed`).
    ProcessingError,
}

impl DeclineCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::CardDeclined => "card_declined",
            Self::InsufficientFunds => "insufficient_funds",
            Self::ProcessingError => "processing_error",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::CardDeclined,
            Self::InsufficientFunds,
            Self::ProcessingError,
        ]
        .into_iter()
        .find(|c| c.as_str() == text)
    }
}

/// A validated payment request.
#[derive(Debug, Clone)]
pub struct NewPayment {
    pub booking_id: Uuid,
    pub money: Money,
    pub card: ValidatedCard,
}

impl NewPayment {
    /// What idempotency compares: a key reused with a different fingerprint is refused. The
    /// card enters it only as brand, last four and expiry: a hash of a full card number is
    /// itself sensitive (the number space is small enough to brute-force), so none is kept.
    pub fn fingerprint(&self) -> String {
        let card = self.card.card();
        fingerprint(&[
            "payment",
            &self.booking_id.to_string(),
            &self.money.amount.to_string(),
            self.money.currency.code(),
            card.brand.as_str(),
            &card.last4,
            &self.card.exp_month.to_string(),
            &self.card.exp_year.to_string(),
        ])
    }
}

/// A refund request; `amount: None` refunds whatever is left of the charge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRefund {
    pub payment_id: Uuid,
    pub amount: Option<i64>,
    pub reason: Option<String>,
}

impl NewRefund {
    pub fn new(
        payment_id: Uuid,
        amount: Option<i64>,
        reason: Option<String>,
    ) -> Result<Self, ValidationError> {
        if amount.is_some_and(|a| a <= 0) {
            return Err(ValidationError::AmountNotPositive);
        }
        if reason.as_ref().is_some_and(|r| r.chars().count() > 200) {
            return Err(ValidationError::ReasonTooLong);
        }
        Ok(Self {
            payment_id,
            amount,
            reason,
        })
    }

    pub fn fingerprint(&self) -> String {
        fingerprint(&[
            "refund",
            &self.payment_id.to_string(),
            &self
                .amount
                .map_or_else(|| "full".to_owned(), |a| a.to_string()),
            self.reason.as_deref().unwrap_or(""),
        ])
    }
}

fn fingerprint(parts: &[&str]) -> String {
    let mut hasher = Sha256::new();
    for part in parts {
        // Length-prefixed so that ("ab","c") and ("a","bc") differ.
        hasher.update((part.len() as u64).to_be_bytes());
        hasher.update(part.as_bytes());
    }
    hasher
        .finalize()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One payment's figures from the ledger and from the payment row, for the audit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerTotals {
    pub payment_id: Uuid,
    pub status: PaymentStatus,
    pub amount: i64,
    /// Sum of `charge` ledger entries.
    pub charged: i64,
    /// Number of `charge` ledger entries.
    pub charge_entries: i64,
    /// Sum of `refund` ledger entries.
    pub refunded: i64,
    /// The payment row's running total of refunds.
    pub amount_refunded: i64,
}

impl LedgerTotals {
    pub fn net(&self) -> i64 {
        self.charged - self.refunded
    }
}

/// Every way `totals` breaks the ledger's rules; empty when the payment is consistent:
/// a succeeded payment has exactly one charge entry of its amount, any other payment none;
/// refunds never exceed the charge; the payment row agrees with the ledger, so that
/// charged − refunded is the net the payment reports.
pub fn audit_violations(totals: &LedgerTotals) -> Vec<String> {
    let mut violations = Vec::new();
    let expected_charge = if totals.status == PaymentStatus::Succeeded {
        (1, totals.amount)
    } else {
        (0, 0)
    };
    if (totals.charge_entries, totals.charged) != expected_charge {
        violations.push(format!(
            "{} payment has {} charge entries totalling {}",
            totals.status.as_str(),
            totals.charge_entries,
            totals.charged
        ));
    }
    if totals.refunded < 0 || totals.refunded > totals.charged {
        violations.push(format!(
            "refunded {} exceeds charged {}",
            totals.refunded, totals.charged
        ));
    }
    if totals.amount_refunded != totals.refunded {
        violations.push(format!(
            "payment records {} refunded, ledger {}",
            totals.amount_refunded, totals.refunded
        ));
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::CardInput;

    fn payment(amount: i64, cvc: &str) -> NewPayment {
        let card = CardInput {
            number: "4242424242424242".into(),
            exp_month: 12,
            exp_year: 2030,
            cvc: cvc.into(),
        };
        NewPayment {
            booking_id: Uuid::nil(),
            money: Money::new(amount, "EUR", 100_000).expect("money"),
            card: ValidatedCard::validate(&card, (2026, 1)).expect("card"),
        }
    }

    #[test]
    fn fingerprints_differ_when_any_parameter_differs() {
        assert_eq!(
            payment(100, "123").fingerprint(),
            payment(100, "123").fingerprint()
        );
        assert_ne!(
            payment(100, "123").fingerprint(),
            payment(101, "123").fingerprint()
        );
        let refund = |a| NewRefund::new(Uuid::nil(), a, None).expect("refund");
        assert_ne!(refund(Some(5)).fingerprint(), refund(None).fingerprint());
    }

    #[test]
    fn refunds_need_a_positive_amount_and_a_short_reason() {
        assert_eq!(
            NewRefund::new(Uuid::nil(), Some(0), None),
            Err(ValidationError::AmountNotPositive)
        );
        assert_eq!(
            NewRefund::new(Uuid::nil(), None, Some("x".repeat(201))),
            Err(ValidationError::ReasonTooLong)
        );
    }

    fn totals(status: PaymentStatus, charged: i64, refunded: i64, recorded: i64) -> LedgerTotals {
        LedgerTotals {
            payment_id: Uuid::nil(),
            status,
            amount: 1000,
            charged,
            charge_entries: i64::from(charged > 0),
            refunded,
            amount_refunded: recorded,
        }
    }

    #[test]
    fn the_audit_accepts_consistent_payments() {
        let ok = totals(PaymentStatus::Succeeded, 1000, 400, 400);
        assert!(audit_violations(&ok).is_empty());
        assert_eq!(ok.net(), 600);
        assert!(audit_violations(&totals(PaymentStatus::Declined, 0, 0, 0)).is_empty());
    }

    #[test]
    fn the_audit_catches_over_refunds_missing_charges_and_drift() {
        assert_eq!(
            audit_violations(&totals(PaymentStatus::Succeeded, 1000, 1001, 1001)).len(),
            1
        );
        assert_eq!(
            audit_violations(&totals(PaymentStatus::Succeeded, 0, 0, 0)).len(),
            1
        );
        assert_eq!(
            audit_violations(&totals(PaymentStatus::Succeeded, 1000, 100, 200)).len(),
            1
        );
        assert_eq!(
            audit_violations(&totals(PaymentStatus::Declined, 1000, 0, 0)).len(),
            1
        );
    }
}
