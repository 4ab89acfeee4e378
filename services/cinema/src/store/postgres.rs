//! The PostgreSQL adapter: row locks (`SELECT … FOR UPDATE` in seat order) under READ
//! COMMITTED, and seat changes announced with `pg_notify` inside the writing transaction, so
//! listeners in every cinema instance hear about exactly the committed changes.

use sqlx::PgPool;

use super::prelude::*;

/// The LISTEN/NOTIFY channel carrying JSON arrays of [`SeatChange`].
pub const SEAT_CHANGES_CHANNEL: &str = "cinema_seat_changes";

/// NOTIFY payloads must stay under 8,000 bytes; one change is about 100.
const CHANGES_PER_NOTIFY: usize = 40;

#[derive(Debug, Clone)]
pub struct PgStore {
    pool: PgPool,
}

impl PgStore {
    pub fn new(pool: PgPool) -> Self {
        Self { pool }
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// READ COMMITTED is enough: every check of seat state happens on rows this transaction
    /// has locked, so no other writer can change them before the commit.
    async fn write_tx(&self) -> Result<Tx, sqlx::Error> {
        self.pool.begin().await
    }
}

fn seat_arg(seat_ids: &[String]) -> Vec<String> {
    seat_ids.to_vec()
}

async fn announce(tx: &mut Tx, changes: &[SeatChange]) -> StoreResult<()> {
    for chunk in changes.chunks(CHANGES_PER_NOTIFY) {
        let payload = serde_json::to_string(chunk).map_err(corrupt)?;
        sqlx::query("SELECT pg_notify($1, $2)")
            .bind(SEAT_CHANGES_CHANNEL)
            .bind(payload)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

catalog_sql!(PgStore, sqlx::Postgres, " FOR UPDATE");
inventory_sql!(
    PgStore,
    sqlx::Postgres,
    " FOR UPDATE",
    " FOR UPDATE SKIP LOCKED",
    " COLLATE \"C\"",
    "seat_id = ANY($2)"
);
