//! The check-in half of the store, written once for both engines like `sql.rs`. The one
//! engine difference is the row lock in the check-in insert (`$lock`).

/// The check-in itself, as one statement: it inserts only while the ticket's booking is of
/// showtime `$2`, CONFIRMED at rest, and free of any live saga lease (`$5` is now), and at
/// most once per ticket (the primary key). `{lock}` is `FOR UPDATE OF b` on PostgreSQL: the
/// booking row is locked while the statement decides, so a cancel that takes the booking's
/// lease (an UPDATE of that row) either commits first — and this statement, re-checking the
/// row, sees the lease and inserts nothing — or waits until this check-in is committed and
/// then sees it. SQLite has no row locks and needs none: its writers run one at a time.
pub(crate) fn insert_check_in(lock: &str) -> String {
    format!(
        "INSERT INTO check_ins (ticket_code, booking_id, showtime_id, door, checked_in_by, \
         checked_in_at) \
         SELECT t.code, b.id, b.showtime_id, $3, $4, $5 FROM tickets t \
         JOIN bookings b ON b.id = t.booking_id \
         WHERE t.code = $1 AND b.showtime_id = $2 AND b.status = 'CONFIRMED' \
         AND b.step = 'confirmed' AND (b.lease_owner IS NULL OR b.lease_until < $5) {lock} \
         ON CONFLICT (ticket_code) DO NOTHING"
    )
}

/// A check-in with its ticket's seat.
pub(crate) const SELECT_CHECK_IN: &str = "SELECT c.ticket_code, c.booking_id, c.showtime_id, \
     t.seat_id, c.door, c.checked_in_by, c.checked_in_at FROM check_ins c \
     JOIN tickets t ON t.code = c.ticket_code";

pub(crate) type CheckInRow = (
    String,
    uuid::Uuid,
    uuid::Uuid,
    String,
    String,
    uuid::Uuid,
    chrono::DateTime<chrono::Utc>,
);

pub(crate) fn check_in(row: CheckInRow) -> crate::store::CheckInRecord {
    let (ticket_code, booking_id, showtime_id, seat_id, door, checked_in_by, checked_in_at) = row;
    crate::store::CheckInRecord {
        ticket_code,
        booking_id,
        showtime_id,
        seat_id,
        door,
        checked_in_by,
        checked_in_at,
    }
}

macro_rules! check_in_store_impl {
    ($store:ident, $lock:literal) => {
        #[async_trait::async_trait]
        impl crate::store::CheckInStore for $store {
            async fn ticket(
                &self,
                code: &str,
            ) -> Result<Option<crate::store::TicketRecord>, crate::store::StoreError> {
                let row: Option<(String, uuid::Uuid, String, String)> = sqlx::query_as(
                    "SELECT code, booking_id, seat_id, qr_svg FROM tickets WHERE code = $1",
                )
                .bind(code)
                .fetch_optional(&self.pool)
                .await?;
                Ok(row.map(
                    |(code, booking_id, seat_id, qr_svg)| crate::store::TicketRecord {
                        code,
                        booking_id,
                        seat_id,
                        qr_svg,
                    },
                ))
            }

            async fn insert_check_in(
                &self,
                new: &crate::store::NewCheckIn<'_>,
            ) -> Result<bool, crate::store::StoreError> {
                static SQL: std::sync::LazyLock<String> =
                    std::sync::LazyLock::new(|| crate::store::check_ins::insert_check_in($lock));
                // In a write transaction (BEGIN IMMEDIATE on SQLite: the read and the write of
                // the statement happen under the write lock, never on a stale snapshot).
                let mut tx = begin_write(&self.pool).await?;
                let inserted = sqlx::query(&**SQL)
                    .bind(new.code)
                    .bind(new.showtime_id)
                    .bind(new.door)
                    .bind(new.by)
                    .bind(new.at)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(inserted.rows_affected() == 1)
            }

            async fn check_in_of(
                &self,
                code: &str,
            ) -> Result<Option<crate::store::CheckInRecord>, crate::store::StoreError> {
                use crate::store::check_ins::{CheckInRow, SELECT_CHECK_IN, check_in};
                let sql =
                    sqlx::AssertSqlSafe(format!("{SELECT_CHECK_IN} WHERE c.ticket_code = $1"));
                let row: Option<CheckInRow> = sqlx::query_as(sql)
                    .bind(code)
                    .fetch_optional(&self.pool)
                    .await?;
                Ok(row.map(check_in))
            }

            async fn check_ins(
                &self,
                booking_id: uuid::Uuid,
            ) -> Result<Vec<crate::store::CheckInRecord>, crate::store::StoreError> {
                use crate::store::check_ins::{CheckInRow, SELECT_CHECK_IN, check_in};
                let sql = sqlx::AssertSqlSafe(format!(
                    "{SELECT_CHECK_IN} WHERE c.booking_id = $1 \
                     ORDER BY c.checked_in_at, c.ticket_code"
                ));
                let rows: Vec<CheckInRow> = sqlx::query_as(sql)
                    .bind(booking_id)
                    .fetch_all(&self.pool)
                    .await?;
                Ok(rows.into_iter().map(check_in).collect())
            }
        }
    };
}

pub(crate) use check_in_store_impl;
