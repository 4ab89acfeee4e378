//! The SQL of the booking store, written once for both engines (`$n` placeholders, ids as
//! `Uuid`, times as `DateTime<Utc>`). What differs (how a write transaction begins, how an
//! event is enqueued) comes from `begin_write` and `enqueue` in the adapter's module.

pub(crate) const COLUMNS: &str = "id, user_id, showtime_id, hold_id, seat_ids, seats, status, \
     step, closing_status, total_amount, currency, hold_expires_at, attempt, client_key, \
     payment_id, details, created_at, updated_at";

/// A new booking row: `$1`–`$16` the booking, `$17`/`$18` the lease, `$19`/`$20` the times,
/// `$21` the customer's email, lower-cased for the staff search.
pub(crate) const INSERT_BOOKING: &str = "INSERT INTO bookings (id, user_id, showtime_id, \
     hold_id, seat_ids, seats, status, step, closing_status, total_amount, currency, \
     hold_expires_at, attempt, client_key, payment_id, details, lease_owner, lease_until, \
     created_at, updated_at, customer_email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, \
     $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)";

/// A saga step's state change, only while `$14` holds the lease; `$12` is the time; `$15`
/// true releases the lease with it.
pub(crate) const UPDATE_BOOKING: &str = "UPDATE bookings SET hold_id = $1, seats = $2, \
     status = $3, step = $4, closing_status = $5, total_amount = $6, currency = $7, \
     hold_expires_at = $8, attempt = $9, client_key = $10, payment_id = $11, updated_at = $12, \
     lease_owner = CASE WHEN $15 THEN NULL ELSE lease_owner END, \
     lease_until = CASE WHEN $15 THEN NULL ELSE lease_until END \
     WHERE id = $13 AND lease_owner = $14";

/// INSERT_BOOKING and its first saga_log line (`$22`–`$25`) as one statement (PostgreSQL).
pub(crate) static INSERT_BOOKING_LOGGED: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "WITH created AS ({INSERT_BOOKING} RETURNING id) INSERT INTO saga_log \
             (id, booking_id, step, phase, detail, at) SELECT $22, id, $23, $24, $25, $20 \
             FROM created"
        )
    });

/// UPDATE_BOOKING and its saga_log line (`$16`–`$19`) as one statement (PostgreSQL): the line
/// is inserted only if the lease-guarded UPDATE matched, so one row affected means both.
pub(crate) static UPDATE_BOOKING_LOGGED: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| {
        format!(
            "WITH saved AS ({UPDATE_BOOKING} RETURNING id) INSERT INTO saga_log \
             (id, booking_id, step, phase, detail, at) SELECT $16, id, $17, $18, $19, $12 \
             FROM saved"
        )
    });

/// Steps the recovery worker resumes (kept in line with `SagaStep::IN_FLIGHT`).
pub(crate) const IN_FLIGHT: &str = "('holding', 'charging', 'charged', 'refunding', 'releasing')";

pub(crate) fn corrupt(what: &str) -> crate::store::StoreError {
    crate::store::StoreError::Corrupt(what.to_owned())
}

pub(crate) fn json<T: serde::Serialize>(value: &T) -> Result<String, crate::store::StoreError> {
    serde_json::to_string(value).map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))
}

pub(crate) fn parse<T: serde::de::DeserializeOwned>(
    text: &str,
) -> Result<T, crate::store::StoreError> {
    serde_json::from_str(text).map_err(|e| crate::store::StoreError::Corrupt(e.to_string()))
}

macro_rules! booking_store_impl {
    // `$one_statement`: the engine runs data-modifying CTEs (PostgreSQL), so a state change
    // with one log line is one statement (one round trip) instead of BEGIN, UPDATE, INSERT,
    // COMMIT. SQLite runs in-process, where round trips cost nothing, and has no such CTEs.
    ($store:ident, $db:ty, $row:ty, $one_statement:literal) => {
        pub struct $store {
            pool: sqlx::Pool<$db>,
        }

        impl $store {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }
        }

        fn decode(row: &$row) -> Result<crate::store::Booking, crate::store::StoreError> {
            use crate::store::sql::{corrupt, parse};
            use sqlx::Row;
            let status: String = row.try_get("status")?;
            let step: String = row.try_get("step")?;
            let closing: Option<String> = row.try_get("closing_status")?;
            let seat_ids: String = row.try_get("seat_ids")?;
            let seats: String = row.try_get("seats")?;
            let details: String = row.try_get("details")?;
            Ok(crate::store::Booking {
                id: row.try_get("id")?,
                user_id: row.try_get("user_id")?,
                showtime_id: row.try_get("showtime_id")?,
                hold_id: row.try_get("hold_id")?,
                seat_ids: parse(&seat_ids)?,
                seats: parse(&seats)?,
                status: crate::domain::BookingStatus::parse(&status)
                    .ok_or_else(|| corrupt("status"))?,
                step: crate::domain::SagaStep::parse(&step).ok_or_else(|| corrupt("step"))?,
                closing_status: match closing {
                    Some(s) => Some(
                        crate::domain::BookingStatus::parse(&s)
                            .ok_or_else(|| corrupt("closing_status"))?,
                    ),
                    None => None,
                },
                total_amount: row.try_get("total_amount")?,
                currency: row.try_get("currency")?,
                hold_expires_at: row.try_get("hold_expires_at")?,
                attempt: row.try_get("attempt")?,
                client_key: row.try_get("client_key")?,
                payment_id: row.try_get("payment_id")?,
                details: parse(&details)?,
                created_at: row.try_get("created_at")?,
                updated_at: row.try_get("updated_at")?,
            })
        }

        type BookingQuery<'q> =
            sqlx::query::Query<'q, $db, <$db as sqlx::Database>::Arguments>;

        /// Binds `$1`–`$21` of `INSERT_BOOKING`.
        fn bind_new_booking<'q>(
            query: BookingQuery<'q>,
            b: &crate::store::Booking,
            owner: uuid::Uuid,
            lease_until: chrono::DateTime<chrono::Utc>,
        ) -> Result<BookingQuery<'q>, crate::store::StoreError> {
            use crate::store::sql::json;
            Ok(query
                .bind(b.id)
                .bind(b.user_id)
                .bind(b.showtime_id)
                .bind(b.hold_id)
                .bind(json(&b.seat_ids)?)
                .bind(json(&b.seats)?)
                .bind(b.status.as_str())
                .bind(b.step.as_str())
                .bind(b.closing_status.map(|s| s.as_str()))
                .bind(b.total_amount)
                .bind(&b.currency)
                .bind(b.hold_expires_at)
                .bind(b.attempt)
                .bind(&b.client_key)
                .bind(b.payment_id)
                .bind(json(&b.details)?)
                .bind(owner)
                .bind(lease_until)
                .bind(b.created_at)
                .bind(b.updated_at)
                .bind(b.details.recipient_email.to_lowercase()))
        }

        /// Binds `$1`–`$15` of `UPDATE_BOOKING`.
        fn bind_booking_update<'q>(
            query: BookingQuery<'q>,
            b: &crate::store::Booking,
            owner: uuid::Uuid,
            end_lease: bool,
        ) -> Result<BookingQuery<'q>, crate::store::StoreError> {
            use crate::store::sql::json;
            Ok(query
                .bind(b.hold_id)
                .bind(json(&b.seats)?)
                .bind(b.status.as_str())
                .bind(b.step.as_str())
                .bind(b.closing_status.map(|s| s.as_str()))
                .bind(b.total_amount)
                .bind(&b.currency)
                .bind(b.hold_expires_at)
                .bind(b.attempt)
                .bind(&b.client_key)
                .bind(b.payment_id)
                .bind(chrono::Utc::now())
                .bind(b.id)
                .bind(owner)
                .bind(end_lease))
        }

        async fn log_entry(
            conn: &mut <$db as sqlx::Database>::Connection,
            booking_id: uuid::Uuid,
            entry: &crate::store::LogEntry,
        ) -> Result<(), sqlx::Error> {
            sqlx::query(
                "INSERT INTO saga_log (id, booking_id, step, phase, detail, at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(uuid::Uuid::now_v7())
            .bind(booking_id)
            .bind(&entry.step)
            .bind(entry.phase)
            .bind(&entry.detail)
            .bind(chrono::Utc::now())
            .execute(conn)
            .await?;
            Ok(())
        }

        #[async_trait::async_trait]
        impl crate::store::BookingStore for $store {
            async fn ping(&self) -> Result<(), crate::store::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn insert(
                &self,
                b: &crate::store::Booking,
                owner: uuid::Uuid,
                lease_until: chrono::DateTime<chrono::Utc>,
                log: &crate::store::LogEntry,
            ) -> Result<(), crate::store::StoreError> {
                use crate::store::sql::{INSERT_BOOKING, INSERT_BOOKING_LOGGED};
                if $one_statement {
                    bind_new_booking(sqlx::query(&**INSERT_BOOKING_LOGGED), b, owner, lease_until)?
                        .bind(uuid::Uuid::now_v7())
                        .bind(&log.step)
                        .bind(log.phase)
                        .bind(&log.detail)
                        .execute(&self.pool)
                        .await?;
                    return Ok(());
                }
                let mut tx = begin_write(&self.pool).await?;
                bind_new_booking(sqlx::query(INSERT_BOOKING), b, owner, lease_until)?
                    .execute(&mut *tx)
                    .await?;
                log_entry(&mut tx, b.id, log).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn insert_within(
                &self,
                b: &crate::store::Booking,
                owner: uuid::Uuid,
                lease_until: chrono::DateTime<chrono::Utc>,
                log: &crate::store::LogEntry,
                limits: &crate::store::CustomerLimits,
            ) -> Result<crate::store::Admission, crate::store::StoreError> {
                use crate::store::sql::{INSERT_BOOKING, parse};
                let mut tx = begin_write(&self.pool).await?;
                // Serializes this customer's new bookings (a no-op on SQLite, whose write
                // transaction already excludes every other writer); the count below is then
                // read after the previous holder committed.
                lock_customer(&mut tx, b.user_id).await?;
                // PENDING counts from the moment the row exists (before the hold is even
                // made) until the booking is closed; a FAILED first hold, an EXPIRED,
                // CANCELLED or REFUNDED booking no longer counts.
                let live: Vec<(uuid::Uuid, String, String)> = sqlx::query_as(
                    "SELECT showtime_id, seat_ids, status FROM bookings \
                     WHERE user_id = $1 AND status IN ('PENDING', 'CONFIRMED')",
                )
                .bind(b.user_id)
                .fetch_all(&mut *tx)
                .await?;
                let mut holdings = crate::store::Holdings::default();
                for (showtime, seat_ids, status) in &live {
                    if status == "PENDING" {
                        holdings.pending += 1;
                    }
                    if *showtime == b.showtime_id {
                        holdings.seats_of_showtime += parse::<Vec<String>>(seat_ids)?.len();
                    }
                }
                let admission = holdings.admit(b.seat_ids.len(), limits);
                if admission != crate::store::Admission::Admitted {
                    // Nothing written: the rollback on drop only ends the transaction.
                    return Ok(admission);
                }
                bind_new_booking(sqlx::query(INSERT_BOOKING), b, owner, lease_until)?
                    .execute(&mut *tx)
                    .await?;
                log_entry(&mut tx, b.id, log).await?;
                tx.commit().await?;
                Ok(admission)
            }

            async fn get(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<crate::store::Booking>, crate::store::StoreError> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM bookings WHERE id = $1",
                    crate::store::sql::COLUMNS
                ));
                let row = sqlx::query(sql).bind(id).fetch_optional(&self.pool).await?;
                row.as_ref().map(decode).transpose()
            }

            async fn for_user(
                &self,
                user_id: uuid::Uuid,
            ) -> Result<Vec<crate::store::Booking>, crate::store::StoreError> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM bookings WHERE user_id = $1 ORDER BY created_at DESC, id DESC",
                    crate::store::sql::COLUMNS
                ));
                let rows = sqlx::query(sql).bind(user_id).fetch_all(&self.pool).await?;
                rows.iter().map(decode).collect()
            }

            async fn save(
                &self,
                b: &crate::store::Booking,
                owner: uuid::Uuid,
                change: crate::store::Change<'_>,
            ) -> Result<(), crate::store::StoreError> {
                use crate::store::sql::{UPDATE_BOOKING, UPDATE_BOOKING_LOGGED};
                if let ([entry], true, true, true) = (
                    change.log.as_slice(),
                    change.tickets.is_empty(),
                    change.event.is_none(),
                    $one_statement,
                ) {
                    let logged = bind_booking_update(sqlx::query(&**UPDATE_BOOKING_LOGGED), b, owner, change.end_lease)?
                        .bind(uuid::Uuid::now_v7())
                        .bind(&entry.step)
                        .bind(entry.phase)
                        .bind(&entry.detail)
                        .execute(&self.pool)
                        .await?;
                    if logged.rows_affected() != 1 {
                        return Err(crate::store::StoreError::LeaseLost(b.id));
                    }
                    return Ok(());
                }
                let mut tx = begin_write(&self.pool).await?;
                let updated = bind_booking_update(sqlx::query(UPDATE_BOOKING), b, owner, change.end_lease)?
                    .execute(&mut *tx)
                    .await?;
                if updated.rows_affected() != 1 {
                    return Err(crate::store::StoreError::LeaseLost(b.id));
                }
                for t in change.tickets {
                    sqlx::query(
                        "INSERT INTO tickets (code, booking_id, seat_id, qr_svg) \
                         VALUES ($1, $2, $3, $4)",
                    )
                    .bind(&t.code)
                    .bind(t.booking_id)
                    .bind(&t.seat_id)
                    .bind(&t.qr_svg)
                    .execute(&mut *tx)
                    .await?;
                }
                for entry in &change.log {
                    log_entry(&mut tx, b.id, entry).await?;
                }
                if let Some(event) = change.event {
                    enqueue(&mut tx, event).await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn try_lease(
                &self,
                id: uuid::Uuid,
                owner: uuid::Uuid,
                until: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, crate::store::StoreError> {
                // One conditional UPDATE in its own implicit transaction: of several instances
                // racing for the row, exactly one sees it unleased, on either engine.
                let taken = sqlx::query(
                    "UPDATE bookings SET lease_owner = $1, lease_until = $2 WHERE id = $3 \
                     AND (lease_owner IS NULL OR lease_until < $4 OR lease_owner = $1)",
                )
                .bind(owner)
                .bind(until)
                .bind(id)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(taken.rows_affected() == 1)
            }

            async fn end_lease(
                &self,
                id: uuid::Uuid,
                owner: uuid::Uuid,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE bookings SET lease_owner = NULL, lease_until = NULL \
                     WHERE id = $1 AND lease_owner = $2",
                )
                .bind(id)
                .bind(owner)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn tickets(
                &self,
                booking_id: uuid::Uuid,
            ) -> Result<Vec<crate::store::TicketRecord>, crate::store::StoreError> {
                let rows: Vec<(String, uuid::Uuid, String, String)> = sqlx::query_as(
                    "SELECT code, booking_id, seat_id, qr_svg FROM tickets \
                     WHERE booking_id = $1 ORDER BY seat_id",
                )
                .bind(booking_id)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows
                    .into_iter()
                    .map(|(code, booking_id, seat_id, qr_svg)| crate::store::TicketRecord {
                        code,
                        booking_id,
                        seat_id,
                        qr_svg,
                    })
                    .collect())
            }

            async fn stuck(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<uuid::Uuid>, crate::store::StoreError> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT id FROM bookings WHERE step IN {} AND updated_at < $1 \
                     AND (lease_owner IS NULL OR lease_until < $2) ORDER BY updated_at LIMIT $3",
                    crate::store::sql::IN_FLIGHT
                ));
                let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(sql)
                    .bind(before)
                    .bind(now)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn in_flight_count(&self) -> Result<i64, crate::store::StoreError> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT COUNT(*) FROM bookings WHERE step IN {}",
                    crate::store::sql::IN_FLIGHT
                ));
                let (count,): (i64,) = sqlx::query_as(sql).fetch_one(&self.pool).await?;
                Ok(count)
            }

            async fn expired(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<uuid::Uuid>, crate::store::StoreError> {
                let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT id FROM bookings WHERE step = 'held' AND hold_expires_at < $1 \
                     ORDER BY hold_expires_at LIMIT $2",
                )
                .bind(before)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn unchecked_closed(
                &self,
                before: chrono::DateTime<chrono::Utc>,
                limit: i64,
            ) -> Result<Vec<uuid::Uuid>, crate::store::StoreError> {
                let rows: Vec<(uuid::Uuid,)> = sqlx::query_as(
                    "SELECT id FROM bookings WHERE captures_checked_at IS NULL AND attempt > 0 \
                     AND status IN ('EXPIRED', 'CANCELLED', 'FAILED') AND updated_at < $1 \
                     ORDER BY updated_at LIMIT $2",
                )
                .bind(before)
                .bind(limit)
                .fetch_all(&self.pool)
                .await?;
                Ok(rows.into_iter().map(|(id,)| id).collect())
            }

            async fn mark_checked(
                &self,
                id: uuid::Uuid,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), crate::store::StoreError> {
                let mut tx = begin_write(&self.pool).await?;
                sqlx::query("UPDATE bookings SET captures_checked_at = $1 WHERE id = $2")
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(())
            }

            async fn saga_log(
                &self,
                booking_id: uuid::Uuid,
            ) -> Result<Vec<crate::store::LogLine>, crate::store::StoreError> {
                let rows: Vec<(String, String, Option<String>, chrono::DateTime<chrono::Utc>)> =
                    sqlx::query_as(
                        "SELECT step, phase, detail, at FROM saga_log WHERE booking_id = $1 \
                         ORDER BY at, id",
                    )
                    .bind(booking_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows
                    .into_iter()
                    .map(|(step, phase, detail, at)| crate::store::LogLine {
                        entry: crate::store::LogEntry {
                            step,
                            phase: match phase.as_str() {
                                "started" => "started",
                                "done" => "done",
                                _ => "failed",
                            },
                            detail,
                        },
                        at,
                    })
                    .collect())
            }

            async fn for_email(
                &self,
                email: &str,
                limit: i64,
            ) -> Result<Vec<crate::store::Booking>, crate::store::StoreError> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM bookings WHERE customer_email = $1 AND status <> 'FAILED' \
                     ORDER BY created_at DESC, id DESC LIMIT $2",
                    crate::store::sql::COLUMNS
                ));
                let rows = sqlx::query(sql)
                    .bind(email)
                    .bind(limit)
                    .fetch_all(&self.pool)
                    .await?;
                rows.iter().map(decode).collect()
            }
        }
    };
}

pub(crate) use booking_store_impl;
