//! The SQLite adapter of the booking store (the embedded deployment).

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use super::check_ins::check_in_store_impl;
use super::sql::booking_store_impl;

async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads then writes
    // can fail with SQLITE_BUSY instead of waiting its turn.
    pool.begin_with("BEGIN IMMEDIATE").await
}

async fn enqueue(
    conn: &mut SqliteConnection,
    event: &boxoffice_outbox::EventEnvelope,
) -> Result<(), sqlx::Error> {
    boxoffice_outbox::enqueue_sqlite(conn, event).await
}

booking_store_impl!(SqliteBookingStore, Sqlite, sqlx::sqlite::SqliteRow, false);
// No row locks in SQLite: see `check_ins::insert_check_in`.
check_in_store_impl!(SqliteBookingStore, "");
