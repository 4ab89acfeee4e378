//! The outbox relay: publishes the rows of a service's `outbox` table and marks them published.
//!
//! Publishing is at least once: a row is marked only after the bus confirmed it, so a crash or
//! an outage between the two republishes it later (consumers deduplicate by event id), and
//! while the broker is down the rows simply wait, nothing is lost.
//!
//! Several instances: on PostgreSQL each batch is taken with `FOR UPDATE SKIP LOCKED` inside
//! one transaction, so concurrent relays publish disjoint batches. On SQLite (the embedded,
//! single-process deployment) the batch is read, published, then marked in one short
//! `BEGIN IMMEDIATE` write transaction; the write lock is not held while publishing, because
//! the in-process bus confirms only once the event was handled and the producer must not be
//! blocked that long. Two relays on one SQLite file could publish a row twice, never lose one.

use std::sync::Arc;
use std::time::Duration;

use boxoffice_outbox::EventEnvelope;
use boxoffice_store::Database;
use chrono::Utc;
use sqlx::{PgConnection, SqliteConnection};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::bus::{BusError, EventBus, sleep_or_shutdown};

#[derive(Debug, Clone, Copy)]
pub struct RelaySettings {
    /// Rows published per round trip to the broker.
    pub batch_size: u32,
    /// How often an idle relay looks for new rows.
    pub poll_interval: Duration,
    /// The longest wait between attempts while the broker is down.
    pub max_backoff: Duration,
}

impl Default for RelaySettings {
    fn default() -> Self {
        Self {
            batch_size: 100,
            poll_interval: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error("outbox: {0}")]
    Database(#[from] sqlx::Error),
    #[error("publishing: {0}")]
    Bus(#[from] BusError),
}

/// A running relay.
#[derive(Debug)]
pub struct RelayHandle {
    task: JoinHandle<()>,
}

impl RelayHandle {
    /// Waits until the relay stopped (after its shutdown token was cancelled).
    pub async fn wait(self) {
        let _ = self.task.await;
    }

    /// Stops at once, as a crash would.
    pub fn abort(&self) {
        self.task.abort();
    }
}

/// Starts relaying `database`'s outbox to `bus` until `shutdown`. `service` labels the logs
/// and metrics.
pub fn spawn_relay(
    service: &'static str,
    database: Database,
    bus: Arc<dyn EventBus>,
    settings: RelaySettings,
    shutdown: CancellationToken,
) -> RelayHandle {
    let task = tokio::spawn(async move {
        let mut failures: u32 = 0;
        let mut backlog = BacklogGauges::new(service);
        loop {
            backlog.measure_if_due(&database).await;
            let delay = match relay_once(&database, bus.as_ref(), settings.batch_size).await {
                Ok(published) => {
                    failures = 0;
                    if published > 0 {
                        metrics::counter!("boxoffice_outbox_published_total", "service" => service)
                            .increment(published as u64);
                    }
                    if published >= settings.batch_size as usize {
                        Duration::ZERO
                    } else {
                        settings.poll_interval
                    }
                }
                Err(error) => {
                    failures = failures.saturating_add(1);
                    let delay = settings
                        .poll_interval
                        .saturating_mul(2u32.saturating_pow(failures.min(16)))
                        .min(settings.max_backoff);
                    tracing::warn!(service, %error, retry_in_ms = delay.as_millis() as u64,
                        "outbox relay could not publish; the events stay in the outbox");
                    metrics::counter!("boxoffice_outbox_relay_failures_total", "service" => service)
                        .increment(1);
                    delay
                }
            };
            if shutdown.is_cancelled() || !sleep_or_shutdown(delay, &shutdown).await {
                break;
            }
        }
        tracing::info!(service, "outbox relay stopped");
    });
    RelayHandle { task }
}

/// How often the relay counts its backlog: an extra query per poll would double the relay's
/// load on an idle database for a figure nobody reads that often.
const BACKLOG_EVERY: Duration = Duration::from_secs(1);

/// `boxoffice_outbox_backlog{service}` (unpublished rows) and
/// `boxoffice_outbox_lag_seconds{service}` (age of the oldest, 0 when there is none).
struct BacklogGauges {
    service: &'static str,
    rows: metrics::Gauge,
    lag: metrics::Gauge,
    last: Option<std::time::Instant>,
}

impl BacklogGauges {
    fn new(service: &'static str) -> Self {
        // Registered at 0 with the gauges: a failure then shows as an increase.
        metrics::counter!("boxoffice_outbox_relay_failures_total", "service" => service)
            .increment(0);
        metrics::counter!("boxoffice_outbox_published_total", "service" => service).increment(0);
        Self {
            service,
            rows: metrics::gauge!("boxoffice_outbox_backlog", "service" => service),
            lag: metrics::gauge!("boxoffice_outbox_lag_seconds", "service" => service),
            last: None,
        }
    }

    async fn measure_if_due(&mut self, database: &Database) {
        if self.last.is_some_and(|at| at.elapsed() < BACKLOG_EVERY) {
            return;
        }
        self.last = Some(std::time::Instant::now());
        match backlog(database).await {
            Ok((rows, oldest)) => {
                self.rows.set(rows as f64);
                let age = oldest.map_or(0.0, |at| {
                    (Utc::now() - at).to_std().unwrap_or_default().as_secs_f64()
                });
                self.lag.set(age);
            }
            Err(error) => {
                tracing::warn!(service = self.service, %error, "could not measure the outbox backlog");
            }
        }
    }
}

/// Unpublished rows and when the oldest of them occurred (the partial index on
/// `occurred_at WHERE published_at IS NULL` serves both).
pub async fn backlog(
    database: &Database,
) -> Result<(i64, Option<chrono::DateTime<Utc>>), sqlx::Error> {
    const SQL: &str = "SELECT COUNT(*), MIN(occurred_at) FROM outbox WHERE published_at IS NULL";
    match database {
        Database::Postgres(pool) => sqlx::query_as(SQL).fetch_one(pool).await,
        Database::Sqlite(pool) => {
            // SQLite gives MIN() of the text column back as text without a declared type.
            let (rows, oldest): (i64, Option<String>) = sqlx::query_as(SQL).fetch_one(pool).await?;
            let oldest = oldest
                .and_then(|text| {
                    chrono::DateTime::parse_from_rfc3339(&text)
                        .or_else(|_| chrono::DateTime::parse_from_str(&text, "%F %T%.f%:z"))
                        .ok()
                })
                .map(|at| at.with_timezone(&Utc));
            Ok((rows, oldest))
        }
    }
}

/// Publishes one batch of unpublished rows; returns how many were published.
pub async fn relay_once(
    database: &Database,
    bus: &dyn EventBus,
    batch_size: u32,
) -> Result<usize, RelayError> {
    match database {
        Database::Postgres(pool) => {
            let mut tx = pool.begin().await?;
            let published = relay_postgres(&mut tx, bus, batch_size).await;
            // Committed on failure too: it records the attempt and the error on the rows.
            tx.commit().await?;
            published
        }
        Database::Sqlite(pool) => {
            let rows: Vec<Row> = sqlx::query_as(SELECT_BATCH)
                .bind(i64::from(batch_size))
                .fetch_all(pool)
                .await?;
            if rows.is_empty() {
                return Ok(0);
            }
            let (ids, events) = decode(rows);
            let outcome = bus.publish_batch(&events).await;
            let mut tx = pool.begin_with("BEGIN IMMEDIATE").await?;
            mark_sqlite(&mut tx, &ids, outcome.as_ref().err()).await?;
            tx.commit().await?;
            outcome.map(|()| ids.len()).map_err(RelayError::from)
        }
    }
}

const SELECT_BATCH: &str = "SELECT id, payload, traceparent FROM outbox WHERE published_at IS NULL \
     ORDER BY occurred_at, id LIMIT $1";

async fn relay_postgres(
    tx: &mut PgConnection,
    bus: &dyn EventBus,
    batch_size: u32,
) -> Result<usize, RelayError> {
    // SKIP LOCKED: rows another relay is publishing right now are left to it.
    let rows: Vec<Row> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "{SELECT_BATCH} FOR UPDATE SKIP LOCKED"
    )))
    .bind(i64::from(batch_size))
    .fetch_all(&mut *tx)
    .await?;
    if rows.is_empty() {
        return Ok(0);
    }
    let (ids, events) = decode(rows);
    let outcome = bus.publish_batch(&events).await;
    match &outcome {
        Ok(()) => {
            sqlx::query(
                "UPDATE outbox SET published_at = $1, attempts = attempts + 1, last_error = NULL \
                 WHERE id = ANY($2)",
            )
            .bind(Utc::now())
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        }
        Err(error) => {
            sqlx::query(
                "UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE id = ANY($2)",
            )
            .bind(error.to_string())
            .bind(&ids)
            .execute(&mut *tx)
            .await?;
        }
    }
    outcome.map(|()| ids.len()).map_err(RelayError::from)
}

async fn mark_sqlite(
    tx: &mut SqliteConnection,
    ids: &[Uuid],
    error: Option<&BusError>,
) -> Result<(), sqlx::Error> {
    for id in ids {
        match error {
            None => {
                sqlx::query(
                    "UPDATE outbox SET published_at = $1, attempts = attempts + 1, \
                     last_error = NULL WHERE id = $2",
                )
                .bind(Utc::now())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
            Some(error) => {
                sqlx::query(
                    "UPDATE outbox SET attempts = attempts + 1, last_error = $1 WHERE id = $2",
                )
                .bind(error.to_string())
                .bind(id)
                .execute(&mut *tx)
                .await?;
            }
        }
    }
    Ok(())
}

/// An outbox row as the relay reads it: id, envelope, the writer's trace context.
type Row = (Uuid, String, Option<String>);

/// Parses the stored envelopes. A row that does not parse cannot be published by anyone; it
/// is logged and left in the outbox for an operator rather than dropped.
fn decode(rows: Vec<Row>) -> (Vec<Uuid>, Vec<EventEnvelope>) {
    let mut ids = Vec::with_capacity(rows.len());
    let mut events = Vec::with_capacity(rows.len());
    for (id, payload, traceparent) in rows {
        match serde_json::from_str::<EventEnvelope>(&payload) {
            Ok(mut event) => {
                event.traceparent = traceparent;
                ids.push(id);
                events.push(event);
            }
            Err(error) => {
                tracing::error!(%id, %error, "outbox row is not a valid event envelope; skipped");
            }
        }
    }
    (ids, events)
}
