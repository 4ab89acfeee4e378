//! The transactional outbox, shared by every service that publishes events.
//!
//! An event is written to the producer's own `outbox` table in the same transaction as the
//! state change it describes, so an event exists if and only if the change committed. A relay
//! publishes the rows afterwards (at least once) and marks them published.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The envelope every event travels in, as documented in DESIGN.md.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u32,
    pub occurred_at: DateTime<Utc>,
    pub data: Value,
}

impl EventEnvelope {
    pub fn new(event_type: &str, data: impl Serialize) -> Result<Self, serde_json::Error> {
        Ok(Self {
            id: Uuid::now_v7(),
            event_type: event_type.to_owned(),
            version: 1,
            // Microseconds: what PostgreSQL stores, so the envelope reads back identical.
            occurred_at: Utc::now().trunc_subsecs(6),
            data: serde_json::to_value(data)?,
        })
    }
}

/// The statement that stores an event; the table is created by each service's migrations with
/// the same columns:
/// `id`, `event_type`, `version`, `occurred_at`, `payload` (the JSON envelope), `published_at`,
/// `attempts`, `last_error` (see `docs/adr/0004-transactional-outbox.md`).
const INSERT: &str = "INSERT INTO outbox (id, event_type, version, occurred_at, payload) VALUES ($1, $2, $3, $4, $5)";

/// Writes `event` inside the caller's PostgreSQL transaction.
pub async fn enqueue_postgres(
    conn: &mut sqlx::PgConnection,
    event: &EventEnvelope,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(event.id)
        .bind(&event.event_type)
        .bind(event.version as i32)
        .bind(event.occurred_at)
        .bind(payload(event)?)
        .execute(conn)
        .await?;
    Ok(())
}

/// Writes `event` inside the caller's SQLite transaction.
pub async fn enqueue_sqlite(
    conn: &mut sqlx::SqliteConnection,
    event: &EventEnvelope,
) -> Result<(), sqlx::Error> {
    sqlx::query(INSERT)
        .bind(event.id)
        .bind(&event.event_type)
        .bind(event.version as i32)
        .bind(event.occurred_at)
        .bind(payload(event)?)
        .execute(conn)
        .await?;
    Ok(())
}

fn payload(event: &EventEnvelope) -> Result<String, sqlx::Error> {
    serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}
