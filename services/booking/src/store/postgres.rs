//! The PostgreSQL adapter of the booking store.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::check_ins::check_in_store_impl;
use super::sql::booking_store_impl;

async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    // READ COMMITTED suffices: every decision is one conditional UPDATE (the lease, the
    // lease-guarded save), which PostgreSQL re-checks against the latest committed row.
    pool.begin().await
}

async fn enqueue(
    conn: &mut PgConnection,
    event: &boxoffice_outbox::EventEnvelope,
) -> Result<(), sqlx::Error> {
    boxoffice_outbox::enqueue_postgres(conn, event).await
}

booking_store_impl!(PgBookingStore, Postgres, sqlx::postgres::PgRow, true);
check_in_store_impl!(PgBookingStore, "FOR UPDATE OF b");
