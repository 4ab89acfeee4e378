//! The SQL of the store, written once for both engines and stamped out per engine by
//! [`payment_store!`]. The engines differ in three places, passed in as parameters:
//! how a write transaction begins (SQLite needs `BEGIN IMMEDIATE` to take the write lock up
//! front instead of failing on upgrade), row locks (`FOR UPDATE` on PostgreSQL; SQLite's
//! single writer makes them unnecessary) and the outbox writer.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use super::{PaymentRecord, RefundRecord, StoreError, StoredResponse};
use crate::domain::{Brand, Card, DeclineCode, PaymentStatus, RefundStatus};

#[derive(sqlx::FromRow)]
pub(super) struct PaymentRow {
    id: Uuid,
    booking_id: Uuid,
    amount: i64,
    currency: String,
    status: String,
    decline_code: Option<String>,
    card_brand: String,
    card_last4: String,
    amount_refunded: i64,
    created_at: DateTime<Utc>,
}

impl TryFrom<PaymentRow> for PaymentRecord {
    type Error = StoreError;

    fn try_from(row: PaymentRow) -> Result<Self, StoreError> {
        let corrupt = |what: &str| StoreError::Corrupt(format!("payment {}: {what}", row.id));
        let decline_code = match row.decline_code.as_deref() {
            None => None,
            Some(code) => Some(DeclineCode::parse(code).ok_or_else(|| corrupt("decline code"))?),
        };
        Ok(Self {
            id: row.id,
            booking_id: row.booking_id,
            amount: row.amount,
            status: PaymentStatus::parse(&row.status).ok_or_else(|| corrupt("status"))?,
            decline_code,
            card: Card {
                brand: Brand::parse(&row.card_brand).ok_or_else(|| corrupt("brand"))?,
                last4: row.card_last4.clone(),
            },
            currency: row.currency,
            amount_refunded: row.amount_refunded,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct RefundRow {
    id: Uuid,
    payment_id: Uuid,
    amount: i64,
    status: String,
    reason: Option<String>,
    created_at: DateTime<Utc>,
}

impl TryFrom<RefundRow> for RefundRecord {
    type Error = StoreError;

    fn try_from(row: RefundRow) -> Result<Self, StoreError> {
        Ok(Self {
            status: RefundStatus::parse(&row.status)
                .ok_or_else(|| StoreError::Corrupt(format!("refund {}: status", row.id)))?,
            id: row.id,
            payment_id: row.payment_id,
            amount: row.amount,
            reason: row.reason,
            created_at: row.created_at,
        })
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct KeyRow {
    pub fingerprint: String,
    pub resource_id: Uuid,
    pub recovery_point: String,
    pub response_status: Option<i32>,
    pub response_body: Option<String>,
    pub locked_at: Option<DateTime<Utc>>,
}

impl KeyRow {
    pub fn stored_response(&self) -> Result<Option<StoredResponse>, StoreError> {
        if self.recovery_point != "finished" {
            return Ok(None);
        }
        let (Some(status), Some(body)) = (self.response_status, self.response_body.as_deref())
        else {
            return Err(StoreError::Corrupt("finished key without an answer".into()));
        };
        let body = serde_json::from_str(body)
            .map_err(|e| StoreError::Corrupt(format!("stored answer: {e}")))?;
        Ok(Some(StoredResponse {
            status: u16::try_from(status)
                .map_err(|_| StoreError::Corrupt("stored status".into()))?,
            body,
        }))
    }
}

#[derive(sqlx::FromRow)]
pub(super) struct TotalsRow {
    pub id: Uuid,
    pub status: String,
    pub amount: i64,
    pub amount_refunded: i64,
    pub charged: i64,
    pub charge_entries: i64,
    pub refunded: i64,
}

pub(super) fn response_text(response: &StoredResponse) -> Result<String, StoreError> {
    serde_json::to_string(&response.body).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Stamps out a [`super::PaymentStore`] for one engine. See the module comment.
macro_rules! payment_store {
    ($store:ident, $db:ty, $pool:ty, $conn:ty, begin = $begin:literal, for_update = $for_update:literal, skip_locked = $skip_locked:literal, enqueue = $enqueue:path) => {
        use async_trait::async_trait;
        use boxoffice_outbox::EventEnvelope;
        use chrono::{DateTime, Utc};
        use uuid::Uuid;

        use crate::domain::{LedgerTotals, PaymentStatus, RefundStatus};
        use crate::store::sql::{
            KeyRow, PaymentRow, RefundRow, TotalsRow, response_text,
        };
        use crate::store::{
            Claim, KeyClaim, PaymentFinish, PaymentRecord, PaymentStore, RefundDraft,
            RefundFinish, RefundRecord, RefundRejection, RefundWork, StaleWork, StoreError,
            StoredResponse,
        };

        pub struct $store {
            pool: $pool,
        }

        impl $store {
            pub fn new(pool: $pool) -> Self {
                Self { pool }
            }

            async fn begin(&self) -> Result<sqlx::Transaction<'static, $db>, StoreError> {
                Ok(self.pool.begin_with($begin).await?)
            }

            async fn insert_key(
                conn: &mut $conn,
                claim: &KeyClaim,
                kind: &str,
                resource_id: Uuid,
            ) -> Result<bool, StoreError> {
                let inserted = sqlx::query(
                    "INSERT INTO idempotency_keys (key, kind, fingerprint, resource_id, recovery_point, locked_at, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, 'resource_created', $5, $5, $5) ON CONFLICT (key) DO NOTHING",
                )
                .bind(&claim.key)
                .bind(kind)
                .bind(&claim.fingerprint)
                .bind(resource_id)
                .bind(claim.now)
                .execute(&mut *conn)
                .await?
                .rows_affected();
                Ok(inserted == 1)
            }

            /// Decides what an existing key means for a new request, and takes its lock when
            /// the request may resume the work. Returns the resource id to resume.
            async fn existing_key<T>(
                conn: &mut $conn,
                claim: &KeyClaim,
            ) -> Result<Result<Uuid, Claim<T>>, StoreError> {
                let row: KeyRow = sqlx::query_as(concat!(
                    "SELECT fingerprint, resource_id, recovery_point, response_status, response_body, locked_at \
                     FROM idempotency_keys WHERE key = $1",
                    $for_update
                ))
                .bind(&claim.key)
                .fetch_one(&mut *conn)
                .await?;
                if row.fingerprint != claim.fingerprint {
                    return Ok(Err(Claim::Mismatch));
                }
                if let Some(stored) = row.stored_response()? {
                    return Ok(Err(Claim::Replay(stored)));
                }
                if row.locked_at.is_some_and(|at| at >= claim.lock_cutoff) {
                    return Ok(Err(Claim::InFlight));
                }
                sqlx::query("UPDATE idempotency_keys SET locked_at = $2, updated_at = $2 WHERE key = $1")
                    .bind(&claim.key)
                    .bind(claim.now)
                    .execute(&mut *conn)
                    .await?;
                Ok(Ok(row.resource_id))
            }

            async fn load_payment(
                conn: &mut $conn,
                id: Uuid,
                lock: bool,
            ) -> Result<Option<PaymentRecord>, StoreError> {
                let sql = if lock {
                    concat!("SELECT id, booking_id, amount, currency, status, decline_code, card_brand, card_last4, amount_refunded, created_at FROM payments WHERE id = $1", $for_update)
                } else {
                    "SELECT id, booking_id, amount, currency, status, decline_code, card_brand, card_last4, amount_refunded, created_at FROM payments WHERE id = $1"
                };
                let row: Option<PaymentRow> =
                    sqlx::query_as(sql).bind(id).fetch_optional(&mut *conn).await?;
                row.map(PaymentRecord::try_from).transpose()
            }

            async fn load_refund(
                conn: &mut $conn,
                id: Uuid,
            ) -> Result<RefundWork, StoreError> {
                let row: RefundRow = sqlx::query_as(
                    "SELECT id, payment_id, amount, status, reason, created_at FROM refunds WHERE id = $1",
                )
                .bind(id)
                .fetch_one(&mut *conn)
                .await?;
                let refund = RefundRecord::try_from(row)?;
                let payment = Self::load_payment(conn, refund.payment_id, false)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("refund {id} without payment")))?;
                Ok(RefundWork { refund, payment })
            }

            async fn key_response(
                conn: &mut $conn,
                key: &str,
            ) -> Result<StoredResponse, StoreError> {
                let row: KeyRow = sqlx::query_as(
                    "SELECT fingerprint, resource_id, recovery_point, response_status, response_body, locked_at \
                     FROM idempotency_keys WHERE key = $1",
                )
                .bind(key)
                .fetch_one(&mut *conn)
                .await?;
                row.stored_response()?.ok_or_else(|| {
                    StoreError::Corrupt(format!("resource finished but key {key} is not"))
                })
            }

            async fn finish_key(
                conn: &mut $conn,
                key: &str,
                response: &StoredResponse,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE idempotency_keys SET recovery_point = 'finished', response_status = $2, \
                     response_body = $3, locked_at = NULL, updated_at = $4 WHERE key = $1",
                )
                .bind(key)
                .bind(i32::from(response.status))
                .bind(response_text(response)?)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            async fn ledger_entry(
                conn: &mut $conn,
                payment_id: Uuid,
                refund_id: Option<Uuid>,
                amount: i64,
                currency: &str,
                now: DateTime<Utc>,
            ) -> Result<(), StoreError> {
                let kind = if refund_id.is_some() { "refund" } else { "charge" };
                sqlx::query(
                    "INSERT INTO ledger_entries (id, payment_id, refund_id, kind, amount, currency, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(Uuid::now_v7())
                .bind(payment_id)
                .bind(refund_id)
                .bind(kind)
                .bind(amount)
                .bind(currency)
                .bind(now)
                .execute(&mut *conn)
                .await?;
                Ok(())
            }

            async fn enqueue(conn: &mut $conn, event: Option<&EventEnvelope>) -> Result<(), StoreError> {
                if let Some(event) = event {
                    $enqueue(conn, event).await?;
                }
                Ok(())
            }
        }

        crate::store::sql_trait::payment_store_trait_impl!($store, $conn, $for_update, $skip_locked);
    };
}

pub(super) use payment_store;
