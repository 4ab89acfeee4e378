//! The transactional outbox, shared by every service that publishes events.
//!
//! An event is written to the producer's own `outbox` table in the same transaction as the
//! state change it describes, so an event exists if and only if the change committed. A relay
//! publishes the rows afterwards (at least once) and marks them published.

use chrono::{DateTime, SubsecRound, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use uuid::Uuid;

/// The envelope every event travels in, as documented in docs/api/asyncapi.yaml.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventEnvelope {
    pub id: Uuid,
    #[serde(rename = "type")]
    pub event_type: String,
    pub version: u32,
    pub occurred_at: DateTime<Utc>,
    pub data: Value,
    /// The `traceparent` of the code that wrote the event, kept beside the envelope in the
    /// outbox row (never in the message body: AMQP headers carry it there), so the relay's
    /// publish continues the trace of the request that caused the event.
    #[serde(skip)]
    pub traceparent: Option<String>,
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
            traceparent: None,
        })
    }
}

/// The statement that stores an event; the table is created by each service's migrations with
/// the same columns:
/// `id`, `event_type`, `version`, `occurred_at`, `payload` (the JSON envelope), `published_at`,
/// `attempts`, `last_error` (see `docs/adr/0004-transactional-outbox.md`), and `traceparent`
/// (the trace context of the writer, ADR 0702).
const INSERT: &str = "INSERT INTO outbox (id, event_type, version, occurred_at, payload, traceparent) VALUES ($1, $2, $3, $4, $5, $6)";

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
        .bind(writer_trace(event))
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
        .bind(writer_trace(event))
        .execute(conn)
        .await?;
    Ok(())
}

/// The event's own context when it has one (an event re-enqueued), else the current span's.
fn writer_trace(event: &EventEnvelope) -> Option<String> {
    event
        .traceparent
        .clone()
        .or_else(boxoffice_telemetry::trace_context::outbound_traceparent)
}

fn payload(event: &EventEnvelope) -> Result<String, sqlx::Error> {
    serde_json::to_string(event).map_err(|e| sqlx::Error::Encode(Box::new(e)))
}
