//! The SQLite adapter of the booking store (the embedded deployment).

use sqlx::{Sqlite, SqliteConnection, SqlitePool, Transaction};

use super::check_ins::check_in_store_impl;
use super::sql::booking_store_impl;

async fn begin_write(pool: &SqlitePool) -> Result<Transaction<'static, Sqlite>, sqlx::Error> {
    // IMMEDIATE takes the write lock up front: a deferred transaction that reads then writes
    // can fail with SQLITE_BUSY instead of waiting its turn.
    pool.begin_with("BEGIN IMMEDIATE").await
}

/// Nothing to take: `begin_write`'s `BEGIN IMMEDIATE` already holds the database's only write
/// lock, so no other booking of anyone can be counted or inserted meanwhile.
async fn lock_customer(
    _conn: &mut SqliteConnection,
    _user_id: uuid::Uuid,
) -> Result<(), sqlx::Error> {
    Ok(())
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
