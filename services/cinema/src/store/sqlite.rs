//! The SQLite adapter (embedded mode): write transactions start with `BEGIN IMMEDIATE`, which
//! takes SQLite's single write lock up front, so the check-then-write of a hold can never
//! interleave with another writer. Seat changes are fanned out in process by the caller.

use std::time::Duration;

use sqlx::SqlitePool;
use sqlx::sqlite::SqlitePoolOptions;

use super::prelude::*;

/// How long a write may queue for the writer connection before failing.
const WRITER_QUEUE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
    /// One connection for all writers. SQLite admits one writer at a time anyway; queueing
    /// writers here (FIFO, no polling) instead of in SQLite's busy handler, which sleeps and
    /// retries, keeps a burst of holds fast and fair.
    writer: SqlitePool,
}

impl SqliteStore {
    /// `pool` serves reads; a one-connection pool to the same file serves writes.
    pub async fn new(pool: SqlitePool) -> Result<Self, sqlx::Error> {
        let options = (*pool.connect_options()).clone();
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(WRITER_QUEUE_TIMEOUT)
            .connect_with(options)
            .await?;
        Ok(Self { pool, writer })
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn write_tx(&self) -> Result<Tx, sqlx::Error> {
        self.writer.begin_with("BEGIN IMMEDIATE").await
    }
}

/// SQLite has no arrays: the seat list is bound as a JSON array and read with `json_each`.
fn seat_arg(seat_ids: &[String]) -> String {
    serde_json::to_string(seat_ids).unwrap_or_else(|_| "[]".to_owned())
}

async fn announce(_tx: &mut Tx, _changes: &[SeatChange]) -> StoreResult<()> {
    Ok(())
}

catalog_sql!(SqliteStore, sqlx::Sqlite, "");
back_office_sql!(SqliteStore, sqlx::Sqlite);
inventory_sql!(
    SqliteStore,
    sqlx::Sqlite,
    "",
    "",
    "",
    "seat_id IN (SELECT value FROM json_each($2))"
);
