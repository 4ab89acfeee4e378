//! The [`super::PaymentStore`] methods of [`super::sql::payment_store!`], split out to keep
//! files small. Each method is one transaction; see the trait for what each phase guarantees.

macro_rules! payment_store_trait_impl {
    ($store:ident, $conn:ty, $for_update:literal, $skip_locked:literal) => {
        #[async_trait]
        impl PaymentStore for $store {
            async fn claim_payment(
                &self,
                claim: &KeyClaim,
                draft: &PaymentRecord,
            ) -> Result<Claim<PaymentRecord>, StoreError> {
                let mut tx = self.begin().await?;
                if Self::insert_key(&mut tx, claim, "payment", draft.id).await? {
                    sqlx::query(
                        "INSERT INTO payments (id, booking_id, amount, currency, status, decline_code, card_brand, card_last4, amount_refunded, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, NULL, $6, $7, 0, $8, $8)",
                    )
                    .bind(draft.id)
                    .bind(draft.booking_id)
                    .bind(draft.amount)
                    .bind(&draft.currency)
                    .bind(PaymentStatus::Processing.as_str())
                    .bind(draft.card.brand.as_str())
                    .bind(&draft.card.last4)
                    .bind(draft.created_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(Claim::Proceed(draft.clone()));
                }
                let payment_id = match Self::existing_key(&mut tx, claim).await? {
                    Ok(id) => id,
                    Err(answer) => return Ok(answer),
                };
                let payment = Self::load_payment(&mut tx, payment_id, false)
                    .await?
                    .ok_or_else(|| StoreError::Corrupt(format!("key without payment {payment_id}")))?;
                tx.commit().await?;
                Ok(Claim::Proceed(payment))
            }

            async fn finish_payment(&self, f: &PaymentFinish) -> Result<StoredResponse, StoreError> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(
                    "UPDATE payments SET status = $2, decline_code = $3, updated_at = $4 WHERE id = $1 AND status = 'processing'",
                )
                .bind(f.payment_id)
                .bind(f.status.as_str())
                .bind(f.decline_code.map(|c| c.as_str()))
                .bind(f.now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    // Finished already, by a retry or the recovery pass: keep its answer.
                    return Self::key_response(&mut tx, &f.key).await;
                }
                if f.status == PaymentStatus::Succeeded {
                    let payment = Self::load_payment(&mut tx, f.payment_id, false)
                        .await?
                        .ok_or_else(|| StoreError::Corrupt("finished payment vanished".into()))?;
                    Self::ledger_entry(&mut tx, payment.id, None, payment.amount, &payment.currency, f.now)
                        .await?;
                }
                Self::enqueue(&mut tx, f.event.as_ref()).await?;
                Self::finish_key(&mut tx, &f.key, &f.response, f.now).await?;
                tx.commit().await?;
                Ok(f.response.clone())
            }

            async fn claim_refund(
                &self,
                claim: &KeyClaim,
                draft: &RefundDraft,
            ) -> Result<Claim<RefundWork>, StoreError> {
                let mut tx = self.begin().await?;
                if !Self::insert_key(&mut tx, claim, "refund", draft.id).await? {
                    let refund_id = match Self::existing_key(&mut tx, claim).await? {
                        Ok(id) => id,
                        Err(answer) => return Ok(answer),
                    };
                    let work = Self::load_refund(&mut tx, refund_id).await?;
                    tx.commit().await?;
                    return Ok(Claim::Proceed(work));
                }
                // The payment's row lock serialises refunds of one payment: the sum below and
                // the insert that reserves the amount cannot interleave with another refund's.
                let Some(payment) = Self::load_payment(&mut tx, draft.payment_id, true).await? else {
                    return Ok(Claim::Rejected(RefundRejection::PaymentNotFound));
                };
                if payment.status != PaymentStatus::Succeeded {
                    return Ok(Claim::Rejected(RefundRejection::NotRefundable));
                }
                let (reserved,): (i64,) = sqlx::query_as(
                    "SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM refunds \
                     WHERE payment_id = $1 AND status IN ('pending', 'succeeded')",
                )
                .bind(payment.id)
                .fetch_one(&mut *tx)
                .await?;
                let remaining = payment.amount - reserved;
                let amount = draft.amount.unwrap_or(remaining);
                if remaining <= 0 || amount > remaining {
                    return Ok(Claim::Rejected(RefundRejection::ExceedsRemaining { remaining }));
                }
                let refund = RefundRecord {
                    id: draft.id,
                    payment_id: payment.id,
                    amount,
                    status: RefundStatus::Pending,
                    reason: draft.reason.clone(),
                    created_at: claim.now,
                };
                sqlx::query(
                    "INSERT INTO refunds (id, payment_id, amount, status, reason, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $6)",
                )
                .bind(refund.id)
                .bind(refund.payment_id)
                .bind(refund.amount)
                .bind(refund.status.as_str())
                .bind(&refund.reason)
                .bind(refund.created_at)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Claim::Proceed(RefundWork { refund, payment }))
            }

            async fn finish_refund(&self, f: &RefundFinish) -> Result<StoredResponse, StoreError> {
                let mut tx = self.begin().await?;
                let updated = sqlx::query(
                    "UPDATE refunds SET status = $2, updated_at = $3 WHERE id = $1 AND status = 'pending'",
                )
                .bind(f.refund_id)
                .bind(f.status.as_str())
                .bind(f.now)
                .execute(&mut *tx)
                .await?
                .rows_affected();
                if updated == 0 {
                    return Self::key_response(&mut tx, &f.key).await;
                }
                if f.status == RefundStatus::Succeeded {
                    let work = Self::load_refund(&mut tx, f.refund_id).await?;
                    sqlx::query(
                        "UPDATE payments SET amount_refunded = amount_refunded + $2, updated_at = $3 WHERE id = $1",
                    )
                    .bind(work.payment.id)
                    .bind(work.refund.amount)
                    .bind(f.now)
                    .execute(&mut *tx)
                    .await?;
                    Self::ledger_entry(
                        &mut tx,
                        work.payment.id,
                        Some(work.refund.id),
                        work.refund.amount,
                        &work.payment.currency,
                        f.now,
                    )
                    .await?;
                }
                Self::enqueue(&mut tx, f.event.as_ref()).await?;
                Self::finish_key(&mut tx, &f.key, &f.response, f.now).await?;
                tx.commit().await?;
                Ok(f.response.clone())
            }

            async fn release_key(&self, key: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
                sqlx::query(
                    "UPDATE idempotency_keys SET locked_at = NULL, updated_at = $2 \
                     WHERE key = $1 AND recovery_point <> 'finished'",
                )
                .bind(key)
                .bind(now)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn payment(&self, id: Uuid) -> Result<Option<PaymentRecord>, StoreError> {
                let mut conn = self.pool.acquire().await?;
                Self::load_payment(&mut conn, id, false).await
            }

            async fn payments_for_booking(
                &self,
                booking_id: Uuid,
            ) -> Result<Vec<PaymentRecord>, StoreError> {
                let rows: Vec<PaymentRow> = sqlx::query_as(
                    "SELECT id, booking_id, amount, currency, status, decline_code, card_brand, card_last4, amount_refunded, created_at \
                     FROM payments WHERE booking_id = $1 ORDER BY created_at, id",
                )
                .bind(booking_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(PaymentRecord::try_from).collect()
            }

            async fn refunds(&self, payment_id: Uuid) -> Result<Vec<RefundRecord>, StoreError> {
                let rows: Vec<RefundRow> = sqlx::query_as(
                    "SELECT id, payment_id, amount, status, reason, created_at FROM refunds \
                     WHERE payment_id = $1 ORDER BY created_at, id",
                )
                .bind(payment_id)
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter().map(RefundRecord::try_from).collect()
            }

            async fn claim_stale(
                &self,
                cutoff: DateTime<Utc>,
                now: DateTime<Utc>,
                limit: i64,
            ) -> Result<Vec<StaleWork>, StoreError> {
                let mut tx = self.begin().await?;
                // SKIP LOCKED lets several instances recover side by side without waiting on
                // each other; the claim below then makes each key one instance's work.
                let keys: Vec<(String, String, Uuid)> = sqlx::query_as(concat!(
                    "SELECT key, kind, resource_id FROM idempotency_keys \
                     WHERE recovery_point <> 'finished' AND updated_at < $1 ORDER BY updated_at LIMIT $2",
                    $skip_locked
                ))
                .bind(cutoff)
                .bind(limit)
                .fetch_all(&mut *tx)
                .await?;
                let mut work = Vec::with_capacity(keys.len());
                for (key, kind, resource_id) in keys {
                    sqlx::query("UPDATE idempotency_keys SET locked_at = $2, updated_at = $2 WHERE key = $1")
                        .bind(&key)
                        .bind(now)
                        .execute(&mut *tx)
                        .await?;
                    if kind == "payment" {
                        let payment = Self::load_payment(&mut tx, resource_id, false)
                            .await?
                            .ok_or_else(|| StoreError::Corrupt(format!("key {key} without payment")))?;
                        work.push(StaleWork::Payment { key, payment });
                    } else {
                        let refund = Self::load_refund(&mut tx, resource_id).await?;
                        work.push(StaleWork::Refund { key, work: refund });
                    }
                }
                tx.commit().await?;
                Ok(work)
            }

            async fn purge_keys(&self, created_before: DateTime<Utc>) -> Result<u64, StoreError> {
                let deleted = sqlx::query(
                    "DELETE FROM idempotency_keys WHERE recovery_point = 'finished' AND created_at < $1",
                )
                .bind(created_before)
                .execute(&self.pool)
                .await?
                .rows_affected();
                Ok(deleted)
            }

            async fn ledger_totals(&self) -> Result<Vec<LedgerTotals>, StoreError> {
                let rows: Vec<TotalsRow> = sqlx::query_as(
                    "SELECT p.id, p.status, p.amount, p.amount_refunded, \
                       CAST(COALESCE(SUM(CASE WHEN l.kind = 'charge' THEN l.amount END), 0) AS BIGINT) AS charged, \
                       CAST(COUNT(CASE WHEN l.kind = 'charge' THEN 1 END) AS BIGINT) AS charge_entries, \
                       CAST(COALESCE(SUM(CASE WHEN l.kind = 'refund' THEN l.amount END), 0) AS BIGINT) AS refunded \
                     FROM payments p LEFT JOIN ledger_entries l ON l.payment_id = p.id \
                     GROUP BY p.id, p.status, p.amount, p.amount_refunded ORDER BY p.id",
                )
                .fetch_all(&self.pool)
                .await?;
                rows.into_iter()
                    .map(|r| {
                        Ok(LedgerTotals {
                            payment_id: r.id,
                            status: PaymentStatus::parse(&r.status)
                                .ok_or_else(|| StoreError::Corrupt("payment status".into()))?,
                            amount: r.amount,
                            charged: r.charged,
                            charge_entries: r.charge_entries,
                            refunded: r.refunded,
                            amount_refunded: r.amount_refunded,
                        })
                    })
                    .collect()
            }
        }
    };
}

pub(super) use payment_store_trait_impl;
