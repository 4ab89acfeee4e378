//! The notification log, on PostgreSQL or SQLite. The SQL is the same on both engines
//! (upsert with `RETURNING`, `$n` placeholders); each statement is atomic on its own, so no
//! explicit transactions are needed.

use std::time::Duration;

use boxoffice_store::{Database, Migrations, StoreError};
use chrono::{DateTime, Utc};
use uuid::Uuid;

pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("./migrations/postgres"),
    sqlite: &sqlx::migrate!("./migrations/sqlite"),
};

/// Runs the same statement on whichever engine the database is.
macro_rules! on_pool {
    ($database:expr, |$pool:ident| $body:expr) => {
        match $database {
            Database::Postgres($pool) => $body,
            Database::Sqlite($pool) => $body,
        }
    };
}

/// A notification about to be sent.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub event_id: Uuid,
    pub channel: &'static str,
    pub event_type: String,
    pub recipient: String,
    pub message_id: String,
    /// The booking the event is about; `None` for events about no booking.
    pub booking_id: Option<Uuid>,
}

/// The answer to "may I send this notification?".
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Begin {
    /// Yes; `attempt` > 1 means an earlier attempt ended without recording its outcome.
    Acquired {
        attempt: i32,
    },
    AlreadySent,
    /// Another worker holds the lease right now.
    InProgress,
}

/// What the back office sees of one notification about a booking.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, sqlx::FromRow, utoipa::ToSchema)]
pub struct BookingNotification {
    pub event_type: String,
    pub channel: String,
    pub recipient: String,
    /// `sending` (under way, or an attempt whose outcome is not recorded yet) or `sent`.
    pub status: String,
    pub attempts: i32,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub message_id: String,
}

/// One row of the log.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct LogEntry {
    pub event_id: Uuid,
    pub channel: String,
    pub event_type: String,
    pub recipient: String,
    pub message_id: String,
    pub status: String,
    pub attempts: i32,
}

#[derive(Debug, Clone)]
pub struct NotificationLog {
    database: Database,
}

fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

impl NotificationLog {
    pub fn new(database: Database) -> Self {
        Self { database }
    }

    pub fn database(&self) -> &Database {
        &self.database
    }

    /// Takes the row for `entry` for `lease`, unless it was sent or another worker's lease is
    /// still running. The conditional upsert makes this one atomic step on both engines.
    pub async fn begin(&self, entry: &NewEntry, lease: Duration) -> Result<Begin, StoreError> {
        let now = now_millis();
        let until = now.saturating_add(i64::try_from(lease.as_millis()).unwrap_or(i64::MAX));
        let created: DateTime<Utc> = Utc::now();
        let taken: Option<(i32,)> = on_pool!(&self.database, |pool| {
            sqlx::query_as(
                "INSERT INTO notification_log (event_id, channel, event_type, recipient, \
                 message_id, status, attempts, lease_until, created_at, booking_id) \
                 VALUES ($1, $2, $3, $4, $5, 'sending', 1, $6, $7, $9) \
                 ON CONFLICT (event_id, channel) DO UPDATE \
                 SET attempts = notification_log.attempts + 1, lease_until = excluded.lease_until \
                 WHERE notification_log.status = 'sending' AND notification_log.lease_until < $8 \
                 RETURNING attempts",
            )
            .bind(entry.event_id)
            .bind(entry.channel)
            .bind(&entry.event_type)
            .bind(&entry.recipient)
            .bind(&entry.message_id)
            .bind(until)
            .bind(created)
            .bind(now)
            .bind(entry.booking_id)
            .fetch_optional(pool)
            .await?
        });
        if let Some((attempt,)) = taken {
            return Ok(Begin::Acquired { attempt });
        }
        Ok(if self.is_sent(entry.event_id, entry.channel).await? {
            Begin::AlreadySent
        } else {
            Begin::InProgress
        })
    }

    pub async fn mark_sent(&self, event_id: Uuid, channel: &str) -> Result<(), StoreError> {
        on_pool!(&self.database, |pool| {
            sqlx::query(
                "UPDATE notification_log SET status = 'sent', sent_at = $3, lease_until = 0 \
                 WHERE event_id = $1 AND channel = $2",
            )
            .bind(event_id)
            .bind(channel)
            .bind(Utc::now())
            .execute(pool)
            .await
            .map(|_| ())?
        });
        Ok(())
    }

    /// Ends the lease after a send that certainly failed, so a retry need not wait for it.
    pub async fn release(&self, event_id: Uuid, channel: &str) -> Result<(), StoreError> {
        on_pool!(&self.database, |pool| {
            sqlx::query(
                "UPDATE notification_log SET lease_until = 0 \
                 WHERE event_id = $1 AND channel = $2 AND status = 'sending'",
            )
            .bind(event_id)
            .bind(channel)
            .execute(pool)
            .await
            .map(|_| ())?
        });
        Ok(())
    }

    pub async fn is_sent(&self, event_id: Uuid, channel: &str) -> Result<bool, StoreError> {
        let row: Option<(String,)> = on_pool!(&self.database, |pool| {
            sqlx::query_as(
                "SELECT status FROM notification_log WHERE event_id = $1 AND channel = $2",
            )
            .bind(event_id)
            .bind(channel)
            .fetch_optional(pool)
            .await?
        });
        Ok(row.is_some_and(|(status,)| status == "sent"))
    }

    /// Every notification about `booking_id`, oldest first.
    pub async fn for_booking(
        &self,
        booking_id: Uuid,
    ) -> Result<Vec<BookingNotification>, StoreError> {
        Ok(on_pool!(&self.database, |pool| {
            sqlx::query_as(
                "SELECT event_type, channel, recipient, status, attempts, created_at, sent_at, \
                 message_id FROM notification_log WHERE booking_id = $1 \
                 ORDER BY created_at, event_id, channel",
            )
            .bind(booking_id)
            .fetch_all(pool)
            .await?
        }))
    }

    /// The whole log, oldest first: for audits and tests.
    pub async fn entries(&self) -> Result<Vec<LogEntry>, StoreError> {
        Ok(on_pool!(&self.database, |pool| {
            sqlx::query_as(
                "SELECT event_id, channel, event_type, recipient, message_id, status, attempts \
                 FROM notification_log ORDER BY created_at, event_id, channel",
            )
            .fetch_all(pool)
            .await?
        }))
    }
}
