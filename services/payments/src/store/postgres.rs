//! The PostgreSQL adapter. Row locks (`FOR UPDATE`) serialise work on one key or one payment;
//! the recovery pass skips rows another instance is already recovering.

crate::store::sql::payment_store!(
    PgPaymentStore,
    sqlx::Postgres,
    sqlx::PgPool,
    sqlx::PgConnection,
    begin = "BEGIN",
    for_update = " FOR UPDATE",
    skip_locked = " FOR UPDATE SKIP LOCKED",
    enqueue = boxoffice_outbox::enqueue_postgres
);
