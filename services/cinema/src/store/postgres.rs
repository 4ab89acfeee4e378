//! The PostgreSQL adapter: row locks (`SELECT … FOR UPDATE` in seat order) under READ
//! COMMITTED. Committed seat changes go to every cinema instance through LISTEN/NOTIFY, sent
//! by the fan-out after commit.

use sqlx::PgPool;

use super::prelude::*;

/// The LISTEN/NOTIFY channel carrying JSON arrays of [`SeatChange`].
pub const SEAT_CHANGES_CHANNEL: &str = "cinema_seat_changes";

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

/// Seat changes are not announced inside the transaction: a NOTIFY takes PostgreSQL's global
/// notify lock from pre-commit to the end of commit, which would serialise every hold's commit
/// (and its fsync) across the cluster. The caller hands committed changes to the fan-out, which
/// sends them in batches from one connection (see `fanout.rs`).
async fn announce(_tx: &mut Tx, _changes: &[SeatChange]) -> StoreResult<()> {
    Ok(())
}

catalog_sql!(PgStore, sqlx::Postgres, " FOR UPDATE");
back_office_sql!(PgStore, sqlx::Postgres);
inventory_sql!(
    PgStore,
    sqlx::Postgres,
    " FOR UPDATE",
    " FOR UPDATE SKIP LOCKED",
    " COLLATE \"C\"",
    "seat_id = ANY($2)"
);
