//! The SQLite adapter of the users store (the embedded deployment).

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads first and
    // writes later can fail with SQLITE_BUSY instead of waiting for the other writer.
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Appended to the login throttle's SELECT: none needed: `BEGIN IMMEDIATE` already excludes every other writer.
const ROW_LOCK: &str = "";

async fn enqueue(
    conn: &mut SqliteConnection,
    event: &boxoffice_outbox::EventEnvelope,
) -> Result<(), sqlx::Error> {
    boxoffice_outbox::enqueue_sqlite(conn, event).await
}

user_store_impl!(SqliteUserStore, Sqlite);
