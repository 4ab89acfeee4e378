//! The SQLite adapter (embedded mode): write transactions start with `BEGIN IMMEDIATE`, which
//! takes SQLite's single write lock up front, so the check-then-write of a hold can never
//! interleave with another writer. Seat changes are fanned out in process by the caller.

use sqlx::SqlitePool;

use super::prelude::*;

#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    pub fn new(pool: SqlitePool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &SqlitePool {
        &self.pool
    }

    async fn write_tx(&self) -> Result<Tx, sqlx::Error> {
        self.pool.begin_with("BEGIN IMMEDIATE").await
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
inventory_sql!(
    SqliteStore,
    sqlx::Sqlite,
    "",
    "",
    "",
    "seat_id IN (SELECT value FROM json_each($2))"
);
