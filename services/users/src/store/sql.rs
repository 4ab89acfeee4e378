//! The SQL of the users store, written once for both engines.
//!
//! Every statement here is accepted by PostgreSQL and SQLite alike (`$n` placeholders, ids as
//! `Uuid`, times as `DateTime<Utc>`). The macro expands the same method bodies into each
//! adapter; what differs between the engines (how a write transaction begins, how an event is
//! enqueued) comes from the `begin_write` and `enqueue` functions of the adapter's module.

pub(crate) const USER_COLUMNS: &str =
    "id, email, name, password_hash, role, created_at, disabled_at";

macro_rules! user_store_impl {
    ($store:ident, $db:ty) => {
        pub struct $store {
            pool: sqlx::Pool<$db>,
        }

        impl $store {
            pub fn new(pool: sqlx::Pool<$db>) -> Self {
                Self { pool }
            }
        }

        #[async_trait::async_trait]
        impl crate::store::UserStore for $store {
            async fn ping(&self) -> Result<(), crate::store::StoreError> {
                sqlx::query("SELECT 1").execute(&self.pool).await?;
                Ok(())
            }

            async fn create_user(
                &self,
                user: &crate::store::UserRecord,
                event: &boxoffice_outbox::EventEnvelope,
            ) -> Result<(), crate::store::StoreError> {
                let mut tx = begin_write(&self.pool).await?;
                sqlx::query(
                    "INSERT INTO users (id, email, name, password_hash, role, created_at, disabled_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(user.id)
                .bind(&user.email)
                .bind(&user.name)
                .bind(&user.password_hash)
                .bind(user.role.as_str())
                .bind(user.created_at)
                .bind(user.disabled_at)
                .execute(&mut *tx)
                .await
                .map_err(crate::store::unique_email)?;
                enqueue(&mut tx, event).await?;
                tx.commit().await?;
                Ok(())
            }

            async fn user_by_email(
                &self,
                email: &str,
            ) -> Result<Option<crate::store::UserRecord>, crate::store::StoreError> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM users WHERE email = $1",
                    crate::store::sql::USER_COLUMNS
                ));
                sqlx::query_as::<_, crate::store::UserRow>(sql)
                    .bind(email)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn user_by_id(
                &self,
                id: uuid::Uuid,
            ) -> Result<Option<crate::store::UserRecord>, crate::store::StoreError> {
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT {} FROM users WHERE id = $1",
                    crate::store::sql::USER_COLUMNS
                ));
                sqlx::query_as::<_, crate::store::UserRow>(sql)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?
                    .map(TryInto::try_into)
                    .transpose()
            }

            async fn set_role(
                &self,
                id: uuid::Uuid,
                role: boxoffice_auth::Role,
            ) -> Result<bool, crate::store::StoreError> {
                let done = sqlx::query("UPDATE users SET role = $1 WHERE id = $2")
                    .bind(role.as_str())
                    .bind(id)
                    .execute(&self.pool)
                    .await?;
                Ok(done.rows_affected() == 1)
            }

            async fn disable_user(
                &self,
                id: uuid::Uuid,
                at: chrono::DateTime<chrono::Utc>,
            ) -> Result<bool, crate::store::StoreError> {
                let mut tx = begin_write(&self.pool).await?;
                let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE id = $2 AND disabled_at IS NULL")
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(at)
                    .bind(id)
                    .execute(&mut *tx)
                    .await?;
                tx.commit().await?;
                Ok(done.rows_affected() == 1)
            }

            async fn save_refresh_token(
                &self,
                token: &crate::store::NewRefreshToken,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(&token.hash)
                .bind(token.family_id)
                .bind(token.user_id)
                .bind(token.issued_at)
                .bind(token.expires_at)
                .execute(&self.pool)
                .await?;
                Ok(())
            }

            async fn rotate_refresh_token(
                &self,
                presented_hash: &str,
                successor_hash: &str,
                successor_expires_at: chrono::DateTime<chrono::Utc>,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<crate::store::Rotation, crate::store::StoreError> {
                let mut tx = begin_write(&self.pool).await?;
                // The conditional update is the claim: of two concurrent refreshes with the same
                // token exactly one matches `replaced_at IS NULL`; the other sees it replaced.
                let claimed: Option<(uuid::Uuid, uuid::Uuid)> = sqlx::query_as(
                    "UPDATE refresh_tokens SET replaced_at = $1 \
                     WHERE token_hash = $2 AND replaced_at IS NULL AND revoked_at IS NULL AND expires_at > $1 \
                     RETURNING family_id, user_id",
                )
                .bind(now)
                .bind(presented_hash)
                .fetch_optional(&mut *tx)
                .await?;
                if let Some((family_id, user_id)) = claimed {
                    sqlx::query(
                        "INSERT INTO refresh_tokens (token_hash, family_id, user_id, issued_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(successor_hash)
                    .bind(family_id)
                    .bind(user_id)
                    .bind(now)
                    .bind(successor_expires_at)
                    .execute(&mut *tx)
                    .await?;
                    tx.commit().await?;
                    return Ok(crate::store::Rotation::Rotated { user_id });
                }
                let previous: Option<(uuid::Uuid, Option<chrono::DateTime<chrono::Utc>>)> =
                    sqlx::query_as("SELECT family_id, replaced_at FROM refresh_tokens WHERE token_hash = $1")
                        .bind(presented_hash)
                        .fetch_optional(&mut *tx)
                        .await?;
                let outcome = match previous {
                    Some((family_id, Some(_replaced))) => {
                        sqlx::query("UPDATE refresh_tokens SET revoked_at = $1 WHERE family_id = $2 AND revoked_at IS NULL")
                            .bind(now)
                            .bind(family_id)
                            .execute(&mut *tx)
                            .await?;
                        crate::store::Rotation::ReuseDetected
                    }
                    _ => crate::store::Rotation::Invalid,
                };
                tx.commit().await?;
                Ok(outcome)
            }

            async fn admit_login(
                &self,
                key: &str,
                policy: &crate::domain::ThrottlePolicy,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<Result<(), chrono::DateTime<chrono::Utc>>, crate::store::StoreError> {
                type Row = (i64, chrono::DateTime<chrono::Utc>, Option<chrono::DateTime<chrono::Utc>>);
                let mut tx = begin_write(&self.pool).await?;
                // Make sure the row exists, then lock it while the decision is made (FOR UPDATE
                // on PostgreSQL; the single writer on SQLite): concurrent attempts, on any
                // replica, are counted one by one, so exactly `free_attempts` of a burst get
                // through. (A first attempt racing this insert waits for it, then does nothing.)
                sqlx::query(
                    "INSERT INTO login_throttle (account_key, failures, last_attempt_at) \
                     VALUES ($1, 0, $2) ON CONFLICT (account_key) DO NOTHING",
                )
                .bind(key)
                .bind(now)
                .execute(&mut *tx)
                .await?;
                let sql = sqlx::AssertSqlSafe(format!(
                    "SELECT failures, last_attempt_at, locked_until FROM login_throttle \
                     WHERE account_key = $1 {ROW_LOCK}"
                ));
                let row: Option<Row> = sqlx::query_as(sql)
                    .bind(key)
                    .fetch_optional(&mut *tx)
                    .await?;
                let state = row.map(|(failures, last_attempt_at, locked_until)| {
                    crate::domain::ThrottleState {
                        failures: u32::try_from(failures).unwrap_or(u32::MAX),
                        last_attempt_at,
                        locked_until,
                    }
                });
                let next = match policy.admit(state, now) {
                    Ok(next) => next,
                    // Nothing changed but the placeholder row, if any: commit ends it cheaply.
                    Err(until) => {
                        tx.commit().await?;
                        return Ok(Err(until));
                    }
                };
                sqlx::query(
                    "UPDATE login_throttle SET failures = $2, last_attempt_at = $3, \
                     locked_until = $4 WHERE account_key = $1",
                )
                .bind(key)
                .bind(i64::from(next.failures))
                .bind(next.last_attempt_at)
                .bind(next.locked_until)
                .execute(&mut *tx)
                .await?;
                tx.commit().await?;
                Ok(Ok(()))
            }

            async fn clear_login_throttle(&self, key: &str) -> Result<(), crate::store::StoreError> {
                sqlx::query("DELETE FROM login_throttle WHERE account_key = $1")
                    .bind(key)
                    .execute(&self.pool)
                    .await?;
                Ok(())
            }

            async fn revoke_family_of(
                &self,
                token_hash: &str,
                now: chrono::DateTime<chrono::Utc>,
            ) -> Result<(), crate::store::StoreError> {
                sqlx::query(
                    "UPDATE refresh_tokens SET revoked_at = $1 WHERE revoked_at IS NULL AND family_id = \
                     (SELECT family_id FROM refresh_tokens WHERE token_hash = $2)",
                )
                .bind(now)
                .bind(token_hash)
                .execute(&self.pool)
                .await?;
                Ok(())
            }
        }
    };
}
