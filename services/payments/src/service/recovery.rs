//! The recovery pass, the ledger audit and the key purge.

use std::time::Duration;

use chrono::Utc;
use uuid::Uuid;

use super::{PaymentError, Payments, delta};
use crate::domain::audit_violations;
use crate::store::StaleWork;

/// The result of an audit over every payment.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditReport {
    pub payments: usize,
    pub charged: i64,
    pub refunded: i64,
    pub violations: Vec<(Uuid, String)>,
}

impl Payments {
    /// Settles every key left unfinished for longer than `stale_after` (its request crashed or
    /// lost the processor): asks the processor what happened to the key, voiding it if nothing
    /// did, and records that. Returns how many keys it settled.
    pub async fn recover(&self, stale_after: Duration) -> Result<usize, PaymentError> {
        const BATCH: i64 = 50;
        // One cutoff for the whole pass, so keys released again below are not retried forever.
        let cutoff = Utc::now() - delta(stale_after);
        let mut settled = 0;
        loop {
            let batch = self.store.claim_stale(cutoff, Utc::now(), BATCH).await?;
            let last = (batch.len() as i64) < BATCH;
            for work in batch {
                match self.settle(&work).await {
                    Ok(()) => settled += 1,
                    Err(e) => {
                        let key = match &work {
                            StaleWork::Payment { key, .. } | StaleWork::Refund { key, .. } => key,
                        };
                        tracing::warn!(error = %e, "recovery could not settle a key; will retry");
                        self.store.release_key(key, Utc::now()).await?;
                    }
                }
            }
            if last {
                return Ok(settled);
            }
        }
    }

    async fn settle(&self, work: &StaleWork) -> Result<(), PaymentError> {
        let unavailable = |_| PaymentError::ProcessorUnavailable;
        match work {
            StaleWork::Payment { key, payment } => {
                let outcome = self
                    .processor
                    .resolve_charge(payment.id)
                    .await
                    .map_err(unavailable)?;
                tracing::info!(payment_id = %payment.id, ?outcome, "recovered payment");
                self.finish_payment(key, payment, outcome).await?;
            }
            StaleWork::Refund { key, work } => {
                let outcome = self
                    .processor
                    .resolve_refund(work.refund.id, work.payment.id)
                    .await
                    .map_err(unavailable)?;
                tracing::info!(refund_id = %work.refund.id, ?outcome, "recovered refund");
                self.finish_refund(key, work, outcome).await?;
            }
        }
        Ok(())
    }

    /// Proves, per payment, that the ledger balances: see [`audit_violations`].
    pub async fn audit(&self) -> Result<AuditReport, PaymentError> {
        let totals = self.store.ledger_totals().await?;
        let mut report = AuditReport {
            payments: totals.len(),
            charged: 0,
            refunded: 0,
            violations: Vec::new(),
        };
        for t in &totals {
            report.charged += t.charged;
            report.refunded += t.refunded;
            for v in audit_violations(t) {
                report.violations.push((t.payment_id, v));
            }
        }
        Ok(report)
    }

    /// Deletes finished idempotency keys older than `retention`.
    pub async fn purge_keys(&self, retention: Duration) -> Result<u64, PaymentError> {
        Ok(self.store.purge_keys(Utc::now() - delta(retention)).await?)
    }
}
