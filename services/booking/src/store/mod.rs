//! The booking store port: bookings with their saga state, tickets, the saga log and the
//! outbox, with PostgreSQL and SQLite adapters that share their SQL (see `sql.rs`).

mod postgres;
mod sql;
mod sqlite;

use std::sync::Arc;

use async_trait::async_trait;
use boxoffice_outbox::EventEnvelope;
use boxoffice_store::{Database, Migrations};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sqlx::migrate::Migrator;
use uuid::Uuid;

use crate::domain::{BookingStatus, SagaStep};

pub use postgres::PgBookingStore;
pub use sqlite::SqliteBookingStore;

static POSTGRES_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/postgres");
static SQLITE_MIGRATIONS: Migrator = sqlx::migrate!("./migrations/sqlite");

/// The booking service's schema, for `boxoffice migrate`.
pub static MIGRATIONS: Migrations = Migrations {
    postgres: &POSTGRES_MIGRATIONS,
    sqlite: &SQLITE_MIGRATIONS,
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// Another worker took the booking over (our lease ran out): stop driving it.
    #[error("lost the lease on booking {0}")]
    LeaseLost(Uuid),
}

/// A seat as it was held: what the customer pays for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HeldSeat {
    pub id: String,
    pub row: String,
    pub number: i32,
    pub seat_type: String,
    pub price: i64,
}

/// What the events need, captured when the booking is made so that confirming it never has to
/// call the catalog (or the users service) again.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Details {
    pub recipient_email: String,
    pub recipient_name: String,
    pub movie_title: String,
    pub cinema_id: Uuid,
    pub cinema_name: String,
    pub cinema_address: String,
    pub time_zone: String,
    pub auditorium: String,
    pub starts_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub id: Uuid,
    pub user_id: Uuid,
    pub showtime_id: Uuid,
    pub hold_id: Uuid,
    pub seat_ids: Vec<String>,
    pub seats: Vec<HeldSeat>,
    pub status: BookingStatus,
    pub step: SagaStep,
    pub closing_status: Option<BookingStatus>,
    pub total_amount: i64,
    pub currency: String,
    pub hold_expires_at: Option<DateTime<Utc>>,
    pub attempt: i32,
    pub client_key: Option<String>,
    pub payment_id: Option<Uuid>,
    pub details: Details,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TicketRecord {
    pub code: String,
    pub booking_id: Uuid,
    pub seat_id: String,
    pub qr_svg: String,
}

/// One line of the saga log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogEntry {
    pub step: String,
    /// `started`, `done` or `failed`.
    pub phase: &'static str,
    pub detail: Option<String>,
}

impl LogEntry {
    pub fn new(step: SagaStep, phase: &'static str, detail: Option<String>) -> Self {
        Self {
            step: step.as_str().to_owned(),
            phase,
            detail,
        }
    }
}

/// What one saga transition writes besides the booking row, atomically with it.
#[derive(Debug, Default)]
pub struct Change<'a> {
    pub log: Vec<LogEntry>,
    pub tickets: &'a [TicketRecord],
    pub event: Option<&'a EventEnvelope>,
    /// Release the lease with this write: the booking comes to rest and its driver is done.
    pub end_lease: bool,
}

#[async_trait]
pub trait BookingStore: Send + Sync + 'static {
    async fn ping(&self) -> Result<(), StoreError>;
    /// Stores a new booking, leased to `owner` until `lease_until`.
    async fn insert(
        &self,
        booking: &Booking,
        owner: Uuid,
        lease_until: DateTime<Utc>,
        log: &LogEntry,
    ) -> Result<(), StoreError>;
    async fn get(&self, id: Uuid) -> Result<Option<Booking>, StoreError>;
    /// A user's bookings, newest first.
    async fn for_user(&self, user_id: Uuid) -> Result<Vec<Booking>, StoreError>;
    /// Writes `booking` with `change` in one transaction, if `owner` still holds the lease.
    async fn save(
        &self,
        booking: &Booking,
        owner: Uuid,
        change: Change<'_>,
    ) -> Result<(), StoreError>;
    /// Takes the booking's lease if nobody holds a live one; whether it was taken.
    async fn try_lease(
        &self,
        id: Uuid,
        owner: Uuid,
        until: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;
    async fn end_lease(&self, id: Uuid, owner: Uuid) -> Result<(), StoreError>;
    async fn tickets(&self, booking_id: Uuid) -> Result<Vec<TicketRecord>, StoreError>;
    /// In-flight bookings untouched since `before` whose lease is free or ran out.
    async fn stuck(
        &self,
        before: DateTime<Utc>,
        now: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError>;
    /// PENDING bookings whose hold ran out before `before`.
    async fn expired(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<Uuid>, StoreError>;
    async fn saga_log(&self, booking_id: Uuid) -> Result<Vec<LogEntry>, StoreError>;
    /// Closed bookings that tried to pay, untouched since `before`, whose payments were not
    /// yet checked for a capture left behind.
    async fn unchecked_closed(
        &self,
        before: DateTime<Utc>,
        limit: i64,
    ) -> Result<Vec<Uuid>, StoreError>;
    async fn mark_checked(&self, id: Uuid, at: DateTime<Utc>) -> Result<(), StoreError>;
}

pub type SharedStore = Arc<dyn BookingStore>;

pub fn for_database(database: &Database) -> SharedStore {
    match database {
        Database::Postgres(pool) => Arc::new(PgBookingStore::new(pool.clone())),
        Database::Sqlite(pool) => Arc::new(SqliteBookingStore::new(pool.clone())),
    }
}
