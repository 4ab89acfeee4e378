//! The store port: everything the payments service keeps, behind one trait with a PostgreSQL
//! and a SQLite adapter (both generated from the SQL in `sql.rs`).
//!
//! Each method is one transaction, and each transaction is one of the atomic phases of the
//! idempotent request flow (see `docs/adr/0202-payments-idempotency-and-recovery.md`):
//! claim the key and create the resource → (talk to the processor, outside any transaction) →
//! finish: record the outcome, ledger entry, outbox event and stored answer together.

use async_trait::async_trait;
use boxoffice_outbox::EventEnvelope;
use boxoffice_store::Database;
use chrono::{DateTime, Utc};
use serde_json::Value;
use uuid::Uuid;

use crate::domain::{Card, DeclineCode, LedgerTotals, PaymentStatus, RefundStatus};

mod postgres;
mod sql;
mod sql_trait;
mod sqlite;

pub use postgres::PgPaymentStore;
pub use sqlite::SqlitePaymentStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("stored data is not valid: {0}")]
    Corrupt(String),
}

/// The store adapter for `database`'s engine.
pub fn for_database(database: &Database) -> std::sync::Arc<dyn PaymentStore> {
    match database {
        Database::Postgres(pool) => std::sync::Arc::new(PgPaymentStore::new(pool.clone())),
        Database::Sqlite(pool) => std::sync::Arc::new(SqlitePaymentStore::new(pool.clone())),
    }
}

/// The migrations of both engines, embedded in the binary.
pub fn migrations() -> boxoffice_store::Migrations {
    static POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");
    static SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
    boxoffice_store::Migrations {
        postgres: &POSTGRES,
        sqlite: &SQLITE,
    }
}

/// What a request presents with its idempotency key.
#[derive(Debug, Clone)]
pub struct KeyClaim {
    pub key: String,
    pub fingerprint: String,
    pub now: DateTime<Utc>,
    /// A lock taken before this instant belongs to a request presumed dead (crashed or cut
    /// off), so this one may take the work over.
    pub lock_cutoff: DateTime<Utc>,
}

/// The answer to a claim.
#[derive(Debug, Clone, PartialEq)]
pub enum Claim<T> {
    /// The key is ours and the work is to be done (first time, or resumed after a crash).
    Proceed(T),
    /// The key finished before: here is its first answer.
    Replay(StoredResponse),
    /// Another request with this key is running.
    InFlight,
    /// The key was used with different parameters.
    Mismatch,
    /// A refund that cannot be made; nothing was stored.
    Rejected(RefundRejection),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefundRejection {
    PaymentNotFound,
    NotRefundable,
    /// The amount asked exceeds what is left after succeeded and pending refunds.
    ExceedsRemaining {
        remaining: i64,
    },
}

/// The HTTP answer stored with a finished key, replayed verbatim.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredResponse {
    pub status: u16,
    pub body: Value,
}

/// A payment as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct PaymentRecord {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub amount: i64,
    pub currency: String,
    pub status: PaymentStatus,
    pub decline_code: Option<DeclineCode>,
    pub card: Card,
    pub amount_refunded: i64,
    pub created_at: DateTime<Utc>,
}

/// A refund as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundRecord {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: i64,
    pub status: RefundStatus,
    pub reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// A refund to create when its key is claimed; `amount: None` means what is left.
#[derive(Debug, Clone)]
pub struct RefundDraft {
    pub id: Uuid,
    pub payment_id: Uuid,
    pub amount: Option<i64>,
    pub reason: Option<String>,
}

/// The work behind a claimed refund key.
#[derive(Debug, Clone, PartialEq)]
pub struct RefundWork {
    pub refund: RefundRecord,
    pub payment: PaymentRecord,
}

/// How a payment ended, with what to store alongside.
#[derive(Debug, Clone)]
pub struct PaymentFinish {
    pub key: String,
    pub payment_id: Uuid,
    pub status: PaymentStatus,
    pub decline_code: Option<DeclineCode>,
    /// `payment.captured` for a succeeded payment.
    pub event: Option<EventEnvelope>,
    pub response: StoredResponse,
    pub now: DateTime<Utc>,
}

/// How a refund ended, with what to store alongside.
#[derive(Debug, Clone)]
pub struct RefundFinish {
    pub key: String,
    pub refund_id: Uuid,
    pub status: RefundStatus,
    /// `payment.refunded` for a succeeded refund.
    pub event: Option<EventEnvelope>,
    pub response: StoredResponse,
    pub now: DateTime<Utc>,
}

/// An unfinished key the recovery pass has claimed.
#[derive(Debug, Clone, PartialEq)]
pub enum StaleWork {
    Payment { key: String, payment: PaymentRecord },
    Refund { key: String, work: RefundWork },
}

#[async_trait]
pub trait PaymentStore: Send + Sync {
    /// Phase 1 of a payment: claims `claim.key` and creates `draft` (status `processing`), or
    /// says why not. A new payment is created only when the key is new.
    async fn claim_payment(
        &self,
        claim: &KeyClaim,
        draft: &PaymentRecord,
    ) -> Result<Claim<PaymentRecord>, StoreError>;

    /// Phase 3 of a payment: records the outcome, the ledger charge, the event and the answer in
    /// one transaction. If the payment was finished already (by a retry or the recovery pass),
    /// changes nothing and returns that first answer.
    async fn finish_payment(&self, finish: &PaymentFinish) -> Result<StoredResponse, StoreError>;

    /// Phase 1 of a refund: claims the key, checks the payment is refundable and the amount fits
    /// what is left, and reserves it as a `pending` refund — all under the payment's lock.
    async fn claim_refund(
        &self,
        claim: &KeyClaim,
        draft: &RefundDraft,
    ) -> Result<Claim<RefundWork>, StoreError>;

    /// Phase 3 of a refund, like [`PaymentStore::finish_payment`].
    async fn finish_refund(&self, finish: &RefundFinish) -> Result<StoredResponse, StoreError>;

    /// Gives up the lock on an unfinished key (the processor's answer is unknown), so that a
    /// retry with the key, or later the recovery pass, can resume the work.
    async fn release_key(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError>;

    async fn payment(&self, id: Uuid) -> Result<Option<PaymentRecord>, StoreError>;

    async fn payments_for_booking(
        &self,
        booking_id: Uuid,
    ) -> Result<Vec<PaymentRecord>, StoreError>;

    async fn refunds(&self, payment_id: Uuid) -> Result<Vec<RefundRecord>, StoreError>;

    /// Claims up to `limit` unfinished keys untouched since `cutoff`, for the recovery pass.
    async fn claim_stale(
        &self,
        cutoff: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<StaleWork>, StoreError>;

    /// Deletes finished keys created before `created_before`; returns how many.
    async fn purge_keys(&self, created_before: DateTime<Utc>) -> Result<u64, StoreError>;

    /// Per payment: the ledger's totals beside the payment row, for the audit.
    async fn ledger_totals(&self) -> Result<Vec<LedgerTotals>, StoreError>;
}
