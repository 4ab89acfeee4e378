//! Reading the rows the checks need, from either engine.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{AuditError, Stores};

#[derive(Debug, Clone)]
pub struct BookingRow {
    pub id: Uuid,
    pub showtime_id: Uuid,
    pub hold_id: Uuid,
    pub status: String,
    pub step: String,
    pub seat_ids: Vec<String>,
    pub total_amount: i64,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct SeatRow {
    pub showtime_id: Uuid,
    pub seat_id: String,
    pub status: String,
    pub hold_id: Option<Uuid>,
    pub held_until: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct PaymentRow {
    pub id: Uuid,
    pub booking_id: Uuid,
    pub status: String,
}

#[derive(Debug, Clone)]
pub struct LedgerRow {
    pub payment_id: Uuid,
    pub kind: String,
    pub amount: i64,
}

#[derive(Debug, Clone)]
pub struct OutboxRow {
    pub store: &'static str,
    pub id: Uuid,
    pub occurred_at: DateTime<Utc>,
    pub published: bool,
}

/// Everything the checks look at, read once.
#[derive(Debug, Clone, Default)]
pub struct Snapshot {
    pub bookings: Vec<BookingRow>,
    pub seats: Vec<SeatRow>,
    pub payments: Vec<PaymentRow>,
    pub ledger: Vec<LedgerRow>,
    pub outbox: Vec<OutboxRow>,
    /// (event id, channel, count) for every notification key.
    pub notifications: Vec<(Uuid, String, i64)>,
}

/// Runs the same query on whichever engine the store uses and maps each row.
macro_rules! fetch {
    ($db:expr, $store:literal, $sql:literal, $row:ty) => {
        match $db {
            boxoffice_store::Database::Postgres(pool) => {
                sqlx::query_as::<_, $row>($sql).fetch_all(pool).await
            }
            boxoffice_store::Database::Sqlite(pool) => {
                sqlx::query_as::<_, $row>($sql).fetch_all(pool).await
            }
        }
        .map_err(|source| AuditError::Read {
            store: $store,
            source,
        })
    };
}

pub async fn load(stores: &Stores<'_>) -> Result<Snapshot, AuditError> {
    let bookings = fetch!(
        stores.booking,
        "booking",
        "SELECT id, showtime_id, hold_id, status, step, seat_ids, total_amount, updated_at FROM bookings",
        (Uuid, Uuid, Uuid, String, String, String, i64, DateTime<Utc>)
    )?
    .into_iter()
    .map(|(id, showtime_id, hold_id, status, step, seat_ids, total_amount, updated_at)| {
        let seat_ids = serde_json::from_str(&seat_ids).map_err(|e| AuditError::Malformed {
            store: "booking",
            detail: format!("booking {id} seat_ids: {e}"),
        })?;
        Ok(BookingRow { id, showtime_id, hold_id, status, step, seat_ids, total_amount, updated_at })
    })
    .collect::<Result<Vec<_>, AuditError>>()?;

    let seats = fetch!(
        stores.cinema,
        "cinema",
        "SELECT showtime_id, seat_id, status, hold_id, held_until FROM showtime_seats WHERE status <> 'available'",
        (Uuid, String, String, Option<Uuid>, Option<DateTime<Utc>>)
    )?
    .into_iter()
    .map(|(showtime_id, seat_id, status, hold_id, held_until)| SeatRow { showtime_id, seat_id, status, hold_id, held_until })
    .collect();

    let payments = fetch!(
        stores.payments,
        "payments",
        "SELECT id, booking_id, status FROM payments",
        (Uuid, Uuid, String)
    )?
    .into_iter()
    .map(|(id, booking_id, status)| PaymentRow {
        id,
        booking_id,
        status,
    })
    .collect();
    let ledger = fetch!(
        stores.payments,
        "payments",
        "SELECT payment_id, kind, amount FROM ledger_entries",
        (Uuid, String, i64)
    )?
    .into_iter()
    .map(|(payment_id, kind, amount)| LedgerRow {
        payment_id,
        kind,
        amount,
    })
    .collect();

    let mut outbox = Vec::new();
    let outboxes = [
        ("booking", Some(stores.booking)),
        ("payments", Some(stores.payments)),
        ("users", stores.users),
    ];
    for (store, db) in outboxes
        .into_iter()
        .filter_map(|(store, db)| db.map(|db| (store, db)))
    {
        let rows = match db {
            boxoffice_store::Database::Postgres(pool) => {
                sqlx::query_as::<_, (Uuid, DateTime<Utc>, Option<DateTime<Utc>>)>(
                    "SELECT id, occurred_at, published_at FROM outbox",
                )
                .fetch_all(pool)
                .await
            }
            boxoffice_store::Database::Sqlite(pool) => {
                sqlx::query_as::<_, (Uuid, DateTime<Utc>, Option<DateTime<Utc>>)>(
                    "SELECT id, occurred_at, published_at FROM outbox",
                )
                .fetch_all(pool)
                .await
            }
        }
        .map_err(|source| AuditError::Read { store, source })?;
        outbox.extend(
            rows.into_iter()
                .map(|(id, occurred_at, published_at)| OutboxRow {
                    store,
                    id,
                    occurred_at,
                    published: published_at.is_some(),
                }),
        );
    }

    let notifications = match stores.notifications {
        Some(db) => fetch!(
            db,
            "notifications",
            "SELECT event_id, channel, count(*) FROM notification_log GROUP BY event_id, channel",
            (Uuid, String, i64)
        )?,
        None => Vec::new(),
    };

    Ok(Snapshot {
        bookings,
        seats,
        payments,
        ledger,
        outbox,
        notifications,
    })
}
