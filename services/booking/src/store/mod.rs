//! The booking store port: bookings with their saga state, tickets, the saga log and the
//! outbox, with PostgreSQL and SQLite adapters that share their SQL (see `sql.rs`), and the
//! door check-ins (`check_ins.rs`).

mod check_ins;
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

/// A saga log line as read back, with when it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub entry: LogEntry,
    pub at: DateTime<Utc>,
}

/// A ticket admitted at a door: at most one per ticket, ever.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInRecord {
    pub ticket_code: String,
    pub booking_id: Uuid,
    pub showtime_id: Uuid,
    /// The ticket's seat (from `tickets`).
    pub seat_id: String,
    pub door: String,
    pub checked_in_by: Uuid,
    pub checked_in_at: DateTime<Utc>,
}

/// A check-in to attempt: ticket `code` at a door of showtime `showtime_id`.
#[derive(Debug, Clone)]
pub struct NewCheckIn<'a> {
    pub code: &'a str,
    pub showtime_id: Uuid,
    pub door: &'a str,
    pub by: Uuid,
    pub at: DateTime<Utc>,
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

/// What one customer may hold at a time, checked in the same transaction that inserts a new
/// booking (ADR 0504).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CustomerLimits {
    /// Unpaid (PENDING) bookings at once.
    pub max_pending: usize,
    /// Seats of one showtime held (PENDING) plus bought (CONFIRMED).
    pub max_seats_per_showtime: usize,
}

/// Whether a new booking fits the customer's limits; only `Admitted` inserted it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Admission {
    Admitted,
    /// The customer already has `max_pending` unpaid bookings.
    TooManyPending,
    /// The customer holds or bought `already` seats of the showtime; the new ones would pass
    /// `max_seats_per_showtime`.
    TooManySeats {
        already: usize,
    },
}

/// What the customer's live bookings add up to, as the limits count them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Holdings {
    pub pending: usize,
    pub seats_of_showtime: usize,
}

impl Holdings {
    /// The pure rule behind [`Admission`], for `wanted` more seats of the showtime.
    pub fn admit(&self, wanted: usize, limits: &CustomerLimits) -> Admission {
        if self.pending >= limits.max_pending {
            Admission::TooManyPending
        } else if self.seats_of_showtime + wanted > limits.max_seats_per_showtime {
            Admission::TooManySeats {
                already: self.seats_of_showtime,
            }
        } else {
            Admission::Admitted
        }
    }
}

/// Tickets by code and their door check-ins.
#[async_trait]
pub trait CheckInStore: Send + Sync + 'static {
    async fn ticket(&self, code: &str) -> Result<Option<TicketRecord>, StoreError>;
    /// Checks the ticket in, in one atomic statement, only if its booking is of
    /// `new.showtime_id`, CONFIRMED at rest and under no live lease, and the ticket was not
    /// checked in before. Whether it inserted.
    async fn insert_check_in(&self, new: &NewCheckIn<'_>) -> Result<bool, StoreError>;
    async fn check_in_of(&self, code: &str) -> Result<Option<CheckInRecord>, StoreError>;
    /// The check-ins of a booking's tickets, oldest first.
    async fn check_ins(&self, booking_id: Uuid) -> Result<Vec<CheckInRecord>, StoreError>;
}

#[async_trait]
pub trait BookingStore: CheckInStore {
    async fn ping(&self) -> Result<(), StoreError>;
    /// Stores a new booking, leased to `owner` until `lease_until`.
    async fn insert(
        &self,
        booking: &Booking,
        owner: Uuid,
        lease_until: DateTime<Utc>,
        log: &LogEntry,
    ) -> Result<(), StoreError>;
    /// Stores a new booking as `insert` does, but only if the customer's live bookings leave
    /// room for it under `limits`. Exact under concurrency: the count and the insert run in
    /// one transaction serialized per customer (an advisory lock on PostgreSQL, the single
    /// writer on SQLite), so two racing requests of one customer never both fit in the last
    /// slot.
    async fn insert_within(
        &self,
        booking: &Booking,
        owner: Uuid,
        lease_until: DateTime<Utc>,
        log: &LogEntry,
        limits: &CustomerLimits,
    ) -> Result<Admission, StoreError>;
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
    /// How many bookings are between two saga steps right now (an outbound call running or
    /// interrupted), across every instance.
    async fn in_flight_count(&self) -> Result<i64, StoreError>;
    /// PENDING bookings whose hold ran out before `before`.
    async fn expired(&self, before: DateTime<Utc>, limit: i64) -> Result<Vec<Uuid>, StoreError>;
    /// The booking's saga log, oldest first.
    async fn saga_log(&self, booking_id: Uuid) -> Result<Vec<LogLine>, StoreError>;
    /// Bookings of the customer with this (lower-cased) email, FAILED ones left out, newest
    /// first, at most `limit`.
    async fn for_email(&self, email: &str, limit: i64) -> Result<Vec<Booking>, StoreError>;
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

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: CustomerLimits = CustomerLimits {
        max_pending: 2,
        max_seats_per_showtime: 10,
    };

    #[test]
    fn a_third_pending_booking_does_not_fit() {
        let h = Holdings {
            pending: 2,
            seats_of_showtime: 0,
        };
        assert_eq!(h.admit(1, &LIMITS), Admission::TooManyPending);
    }

    #[test]
    fn seats_count_what_is_held_and_bought_up_to_the_limit_exactly() {
        let h = Holdings {
            pending: 1,
            seats_of_showtime: 7,
        };
        assert_eq!(h.admit(3, &LIMITS), Admission::Admitted);
        assert_eq!(h.admit(4, &LIMITS), Admission::TooManySeats { already: 7 });
    }
}
