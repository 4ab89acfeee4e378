//! The simulated card processor: the bank on the other side of the card network.
//!
//! It keeps its own state in its own `simproc_*` tables (see migration 0002), so that like a real
//! bank it remembers every charge when the payments process crashes. Nothing else in the crate
//! reads those tables. Outcomes follow the test card numbers in README ("API"); latency and faults
//! are configurable for benchmarks and fault tests.

use std::time::Duration;

use async_trait::async_trait;
use boxoffice_store::Database;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{CardProcessor, ChargeOutcome, ChargeRequest, ProcessorError, RefundOutcome};
use crate::domain::DeclineCode;

/// Test card numbers with a fixed outcome; every other valid card succeeds.
const DECLINED: &str = "4000000000000002";
const INSUFFICIENT_FUNDS: &str = "4000000000009995";
const PROCESSING_ERROR: &str = "4000000000000119";

/// How the simulated processor behaves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ProcessorSettings {
    /// Added to every charge and refund, as a network round trip and issuer decision.
    pub latency_ms: u64,
    /// Probability (0.0–1.0) that a call fails as "unavailable" before reaching the bank.
    pub failure_rate: f64,
    /// Fault injection for recovery tests: after the bank records a charge, the call reports a
    /// crash of the payments process, which then stops without recording anything.
    pub crash_after_charge: bool,
    /// The same for refunds: the bank refunds, then the payments process "dies".
    pub crash_after_refund: bool,
}

impl Default for ProcessorSettings {
    fn default() -> Self {
        Self {
            latency_ms: 0,
            failure_rate: 0.0,
            crash_after_charge: false,
            crash_after_refund: false,
        }
    }
}

pub struct SimulatedProcessor {
    db: Database,
    settings: ProcessorSettings,
}

/// Runs `$body` in a write transaction on either engine. Statements in `$body` are written once
/// for both; the first write in a transaction is what serialises it (a row lock on PostgreSQL,
/// the write lock taken by `BEGIN IMMEDIATE` on SQLite).
macro_rules! in_tx {
    ($db:expr, |$tx:ident| $body:block) => {
        match $db {
            Database::Postgres(pool) => {
                let mut $tx = pool.begin().await.map_err(unavailable)?;
                let out = $body;
                $tx.commit().await.map_err(unavailable)?;
                out
            }
            Database::Sqlite(pool) => {
                let mut $tx = pool
                    .begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(unavailable)?;
                let out = $body;
                $tx.commit().await.map_err(unavailable)?;
                out
            }
        }
    };
}

fn unavailable(e: sqlx::Error) -> ProcessorError {
    ProcessorError::Unavailable(format!("bank storage: {e}"))
}

impl SimulatedProcessor {
    pub fn new(db: Database, settings: ProcessorSettings) -> Self {
        Self { db, settings }
    }

    /// The network: latency, and sometimes a failure before the request reaches the bank.
    async fn network(&self) -> Result<(), ProcessorError> {
        if self.settings.latency_ms > 0 {
            tokio::time::sleep(Duration::from_millis(self.settings.latency_ms)).await;
        }
        if self.settings.failure_rate > 0.0 {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes)
                .map_err(|e| ProcessorError::Unavailable(format!("random source: {e}")))?;
            let draw = u64::from_le_bytes(bytes) as f64 / u64::MAX as f64;
            if draw < self.settings.failure_rate {
                return Err(ProcessorError::Unavailable(
                    "injected network failure".into(),
                ));
            }
        }
        Ok(())
    }

    /// How many charges the bank made (succeeded), for tests and operators.
    pub async fn succeeded_charges(&self) -> Result<i64, ProcessorError> {
        const SQL: &str = "SELECT COUNT(*) FROM simproc_charges WHERE outcome = 'succeeded'";
        let (count,): (i64,) = match &self.db {
            Database::Postgres(pool) => sqlx::query_as(SQL).fetch_one(pool).await,
            Database::Sqlite(pool) => sqlx::query_as(SQL).fetch_one(pool).await,
        }
        .map_err(unavailable)?;
        Ok(count)
    }

    /// How much the bank refunded in total, for tests and operators.
    pub async fn refunded_total(&self) -> Result<i64, ProcessorError> {
        const SQL: &str = "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM simproc_refunds WHERE outcome = 'succeeded'";
        let (sum,): (i64,) = match &self.db {
            Database::Postgres(pool) => sqlx::query_as(SQL).fetch_one(pool).await,
            Database::Sqlite(pool) => sqlx::query_as(SQL).fetch_one(pool).await,
        }
        .map_err(unavailable)?;
        Ok(sum)
    }
}

fn charge_outcome(outcome: &str, code: Option<&str>) -> Result<ChargeOutcome, ProcessorError> {
    let code = code.and_then(DeclineCode::parse);
    match (outcome, code) {
        ("succeeded", _) => Ok(ChargeOutcome::Succeeded),
        ("declined", Some(code)) => Ok(ChargeOutcome::Declined(code)),
        ("failed", Some(code)) => Ok(ChargeOutcome::Failed(code)),
        ("canceled", _) => Ok(ChargeOutcome::Canceled),
        _ => Err(ProcessorError::Unavailable(format!(
            "bank answered {outcome}"
        ))),
    }
}

fn refund_outcome(outcome: &str) -> Result<RefundOutcome, ProcessorError> {
    match outcome {
        "succeeded" => Ok(RefundOutcome::Succeeded),
        "declined" => Ok(RefundOutcome::Declined),
        "canceled" => Ok(RefundOutcome::Canceled),
        _ => Err(ProcessorError::Unavailable(format!(
            "bank answered {outcome}"
        ))),
    }
}

const INSERT_CHARGE: &str = "INSERT INTO simproc_charges (key, amount, currency, card_brand, card_last4, outcome, decline_code, created_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (key) DO NOTHING";
const SELECT_CHARGE: &str = "SELECT outcome, decline_code FROM simproc_charges WHERE key = $1";
const INSERT_REFUND: &str = "INSERT INTO simproc_refunds (key, charge_key, amount, outcome, created_at) \
     VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING";
const SELECT_REFUND: &str = "SELECT outcome FROM simproc_refunds WHERE key = $1";

#[async_trait]
impl CardProcessor for SimulatedProcessor {
    async fn charge(&self, request: ChargeRequest<'_>) -> Result<ChargeOutcome, ProcessorError> {
        self.network().await?;
        let (outcome, code) = match request.card.number() {
            DECLINED => ("declined", Some(DeclineCode::CardDeclined)),
            INSUFFICIENT_FUNDS => ("declined", Some(DeclineCode::InsufficientFunds)),
            PROCESSING_ERROR => ("failed", Some(DeclineCode::ProcessingError)),
            _ => ("succeeded", None),
        };
        let key = request.key.to_string();
        let card = request.card.card();
        // A repeated key keeps its first outcome, whatever this request says: dedupe.
        let (outcome, code): (String, Option<String>) = in_tx!(&self.db, |tx| {
            sqlx::query(INSERT_CHARGE)
                .bind(&key)
                .bind(request.money.amount)
                .bind(request.money.currency.code())
                .bind(card.brand.as_str())
                .bind(&card.last4)
                .bind(outcome)
                .bind(code.map(|c| c.as_str()))
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            sqlx::query_as(SELECT_CHARGE)
                .bind(&key)
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?
        });
        if self.settings.crash_after_charge {
            return Err(ProcessorError::SimulatedCrash);
        }
        charge_outcome(&outcome, code.as_deref())
    }

    async fn resolve_charge(&self, key: Uuid) -> Result<ChargeOutcome, ProcessorError> {
        let key = key.to_string();
        let (outcome, code): (String, Option<String>) = in_tx!(&self.db, |tx| {
            sqlx::query(INSERT_CHARGE)
                .bind(&key)
                .bind(0_i64)
                .bind("XXX")
                .bind("none")
                .bind("0000")
                .bind("canceled")
                .bind(None::<String>)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            sqlx::query_as(SELECT_CHARGE)
                .bind(&key)
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?
        });
        charge_outcome(&outcome, code.as_deref())
    }

    async fn refund(
        &self,
        key: Uuid,
        charge_key: Uuid,
        amount: i64,
    ) -> Result<RefundOutcome, ProcessorError> {
        self.network().await?;
        let (key, charge_key) = (key.to_string(), charge_key.to_string());
        let (outcome,): (String,) = in_tx!(&self.db, |tx| {
            // Touching the charge row locks it on PostgreSQL: refunds of one charge queue here.
            sqlx::query("UPDATE simproc_charges SET key = key WHERE key = $1")
                .bind(&charge_key)
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            let charge: Option<(i64, String)> =
                sqlx::query_as("SELECT amount, outcome FROM simproc_charges WHERE key = $1")
                    .bind(&charge_key)
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(unavailable)?;
            let Some((charged, "succeeded")) = charge.as_ref().map(|(a, o)| (*a, o.as_str()))
            else {
                return Ok(RefundOutcome::Declined);
            };
            let (refunded,): (i64,) = sqlx::query_as(
                "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM simproc_refunds WHERE charge_key = $1 AND outcome = 'succeeded'",
            )
            .bind(&charge_key)
            .fetch_one(&mut *tx)
            .await
            .map_err(unavailable)?;
            let outcome = if refunded + amount <= charged {
                "succeeded"
            } else {
                "declined"
            };
            sqlx::query(INSERT_REFUND)
                .bind(&key)
                .bind(&charge_key)
                .bind(amount)
                .bind(outcome)
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            sqlx::query_as(SELECT_REFUND)
                .bind(&key)
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?
        });
        if self.settings.crash_after_refund {
            return Err(ProcessorError::SimulatedCrash);
        }
        refund_outcome(&outcome)
    }

    async fn resolve_refund(
        &self,
        key: Uuid,
        charge_key: Uuid,
    ) -> Result<RefundOutcome, ProcessorError> {
        let (key, charge_key) = (key.to_string(), charge_key.to_string());
        let (outcome,): (String,) = in_tx!(&self.db, |tx| {
            sqlx::query(INSERT_REFUND)
                .bind(&key)
                .bind(&charge_key)
                .bind(0_i64)
                .bind("canceled")
                .bind(Utc::now())
                .execute(&mut *tx)
                .await
                .map_err(unavailable)?;
            sqlx::query_as(SELECT_REFUND)
                .bind(&key)
                .fetch_one(&mut *tx)
                .await
                .map_err(unavailable)?
        });
        refund_outcome(&outcome)
    }
}
