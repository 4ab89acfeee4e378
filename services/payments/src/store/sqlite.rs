//! The SQLite adapter for the embedded deployment. `BEGIN IMMEDIATE` takes the database's one
//! write lock when a transaction starts, so read-then-write phases (claim a key, check a
//! refund fits) are serialised without row locks, and never fail on a lock upgrade.

crate::store::sql::payment_store!(
    SqlitePaymentStore,
    sqlx::Sqlite,
    sqlx::SqlitePool,
    sqlx::SqliteConnection,
    begin = "BEGIN IMMEDIATE",
    for_update = "",
    skip_locked = "",
    enqueue = boxoffice_outbox::enqueue_sqlite
);
