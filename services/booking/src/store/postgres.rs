//! The PostgreSQL adapter of the booking store.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

use super::check_ins::check_in_store_impl;
use super::sql::booking_store_impl;

async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    // READ COMMITTED suffices: every decision is one conditional UPDATE (the lease, the
    // lease-guarded save), which PostgreSQL re-checks against the latest committed row.
    pool.begin().await
}

/// Takes this customer's booking lock until the transaction ends. The two-key form keeps the
/// lock space apart from any other advisory lock on the database; a hash collision between
/// two customers only makes them wait for each other, it never lets a limit slip.
async fn lock_customer(conn: &mut PgConnection, user_id: uuid::Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock(hashtext('booking.customer'), hashtext($1))")
        .bind(user_id.to_string())
        .execute(conn)
        .await?;
    Ok(())
}

async fn enqueue(
    conn: &mut PgConnection,
    event: &boxoffice_outbox::EventEnvelope,
) -> Result<(), sqlx::Error> {
    boxoffice_outbox::enqueue_postgres(conn, event).await
}

booking_store_impl!(PgBookingStore, Postgres, sqlx::postgres::PgRow, true);
check_in_store_impl!(PgBookingStore, "FOR UPDATE OF b");
