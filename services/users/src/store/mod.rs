//! The users store: the port and its PostgreSQL and SQLite adapters.

use std::sync::Arc;

use async_trait::async_trait;
use boxoffice_auth::Role;
use boxoffice_outbox::EventEnvelope;
use boxoffice_store::{Database, Migrations};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ThrottlePolicy;

#[macro_use]
mod sql;
mod postgres;
mod sqlite;

pub static MIGRATIONS: Migrations = Migrations {
    postgres: &sqlx::migrate!("./migrations/postgres"),
    sqlite: &sqlx::migrate!("./migrations/sqlite"),
};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("an account with this email already exists")]
    DuplicateEmail,
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
}

/// An account as stored, including its password hash (which never leaves the service).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserRecord {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub password_hash: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl UserRecord {
    pub fn is_active(&self) -> bool {
        self.disabled_at.is_none()
    }
}

/// A refresh token to store; the family is the login session it belongs to.
#[derive(Debug, Clone)]
pub struct NewRefreshToken {
    pub hash: String,
    pub family_id: Uuid,
    pub user_id: Uuid,
    pub issued_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What presenting a refresh token did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rotation {
    /// The token was live: it is now replaced by the successor, in the same family.
    Rotated { user_id: Uuid },
    /// The token had already been replaced: its whole family is now revoked.
    ReuseDetected,
    /// Unknown, expired or revoked.
    Invalid,
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn ping(&self) -> Result<(), StoreError>;

    /// Stores a new account and its `user.registered` event in one transaction.
    async fn create_user(&self, user: &UserRecord, event: &EventEnvelope)
    -> Result<(), StoreError>;

    async fn user_by_email(&self, email: &str) -> Result<Option<UserRecord>, StoreError>;

    async fn user_by_id(&self, id: Uuid) -> Result<Option<UserRecord>, StoreError>;

    /// Changes an account's role; false if there is no such account.
    async fn set_role(&self, id: Uuid, role: Role) -> Result<bool, StoreError>;

    /// Closes an account: its tokens stop working. False if there is no such account.
    async fn disable_user(&self, id: Uuid, at: DateTime<Utc>) -> Result<bool, StoreError>;

    async fn save_refresh_token(&self, token: &NewRefreshToken) -> Result<(), StoreError>;

    /// Atomically replaces the live token `presented_hash` by `successor_hash` in the same
    /// family; if it was already replaced, revokes the whole family instead.
    async fn rotate_refresh_token(
        &self,
        presented_hash: &str,
        successor_hash: &str,
        successor_expires_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Rotation, StoreError>;

    /// Counts a login attempt for the throttle key `key` at `now`, atomically (two replicas
    /// racing for one address are serialized on its row): `Ok` if it may be verified, else
    /// the time until which the address is locked.
    async fn admit_login(
        &self,
        key: &str,
        policy: &ThrottlePolicy,
        now: DateTime<Utc>,
    ) -> Result<Result<(), DateTime<Utc>>, StoreError>;

    /// Forgets the failures of `key` (after a successful login).
    async fn clear_login_throttle(&self, key: &str) -> Result<(), StoreError>;

    /// Revokes the family of `token_hash` (logout ends the session on every device that
    /// shares it). Unknown tokens are ignored: logout is idempotent.
    async fn revoke_family_of(
        &self,
        token_hash: &str,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
}

/// The adapter for an already connected and migrated database.
pub fn for_database(database: Database) -> Arc<dyn UserStore> {
    match database {
        Database::Postgres(pool) => Arc::new(postgres::PgUserStore::new(pool)),
        Database::Sqlite(pool) => Arc::new(sqlite::SqliteUserStore::new(pool)),
    }
}

/// The columns of `users` as read back; mapped to `UserRecord` after checking the role.
#[derive(sqlx::FromRow)]
struct UserRow {
    id: Uuid,
    email: String,
    name: String,
    password_hash: String,
    role: String,
    created_at: DateTime<Utc>,
    disabled_at: Option<DateTime<Utc>>,
}

impl TryFrom<UserRow> for UserRecord {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, Self::Error> {
        let role = Role::parse(&row.role)
            .ok_or_else(|| StoreError::Corrupt(format!("unknown role {:?}", row.role)))?;
        Ok(Self {
            id: row.id,
            email: row.email,
            name: row.name,
            password_hash: row.password_hash,
            role,
            created_at: row.created_at,
            disabled_at: row.disabled_at,
        })
    }
}

fn unique_email(error: sqlx::Error) -> StoreError {
    if boxoffice_store::is_unique_violation(&error) {
        StoreError::DuplicateEmail
    } else {
        StoreError::Database(error)
    }
}
