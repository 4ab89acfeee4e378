//! The PostgreSQL adapter of the users store.

use sqlx::{PgConnection, PgPool, Postgres, Transaction};

async fn begin_write(pool: &PgPool) -> Result<Transaction<'static, Postgres>, sqlx::Error> {
    // READ COMMITTED suffices: every decision is a single conditional UPDATE or a unique index.
    pool.begin().await
}

/// Appended to the login throttle's SELECT: locks the row of an address while its attempt is counted.
const ROW_LOCK: &str = "FOR UPDATE";

async fn enqueue(
    conn: &mut PgConnection,
    event: &boxoffice_outbox::EventEnvelope,
) -> Result<(), sqlx::Error> {
    boxoffice_outbox::enqueue_postgres(conn, event).await
}

user_store_impl!(PgUserStore, Postgres);
