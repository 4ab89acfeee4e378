//! The use cases of the users service: register, log in, refresh, log out, look up.

use std::sync::Arc;
use std::time::Duration;

use boxoffice_auth::{AuthError, Role, TokenIssuer};
use boxoffice_http::{Problem, ProblemCode};
use boxoffice_outbox::EventEnvelope;
use chrono::{DateTime, SubsecRound, Utc};
use serde::Serialize;
use uuid::Uuid;

use crate::domain::{Email, FieldError, Password, ThrottlePolicy, UserName, throttle_key};
use crate::hashing::{HashingError, PasswordHasher};
use crate::refresh_token;
use crate::store::{NewRefreshToken, Rotation, StoreError, UserRecord, UserStore};

/// An account as clients see it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize, utoipa::ToSchema)]
pub struct User {
    pub id: Uuid,
    pub email: String,
    pub name: String,
    pub role: Role,
}

impl From<&UserRecord> for User {
    fn from(record: &UserRecord) -> Self {
        Self {
            id: record.id,
            email: record.email.clone(),
            name: record.name.clone(),
            role: record.role,
        }
    }
}

/// What a successful register, login or refresh returns.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Session {
    pub user: User,
    /// An EdDSA JWT, sent as `Authorization: Bearer …`.
    pub access_token: String,
    /// Single use: a refresh returns a new one and revokes this one.
    pub refresh_token: String,
    #[schema(value_type = String, example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error("an account with this email already exists")]
    EmailTaken,
    #[error("invalid email or password")]
    InvalidCredentials,
    /// Too many failed sign-ins for the address typed (known account or not): nothing was
    /// checked. `retry_after` is how long the delay still runs.
    #[error("too many failed sign-ins; retry in {retry_after:?}")]
    LoginThrottled { retry_after: Duration },
    #[error("invalid refresh token")]
    InvalidRefreshToken,
    #[error("the account does not exist or is closed")]
    NoSuchAccount,
    #[error("there is no account with the email {0}")]
    UnknownEmail(String),
    #[error(transparent)]
    Store(StoreError),
    #[error(transparent)]
    Hashing(#[from] HashingError),
    #[error(transparent)]
    Token(#[from] AuthError),
    #[error("random source failed: {0}")]
    Random(#[from] getrandom::Error),
    #[error("event encoding: {0}")]
    Event(#[from] serde_json::Error),
}

impl From<StoreError> for AccountError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::DuplicateEmail => Self::EmailTaken,
            other => Self::Store(other),
        }
    }
}

impl From<AccountError> for Problem {
    fn from(error: AccountError) -> Self {
        match error {
            AccountError::Invalid(errors) => {
                let detail = errors
                    .iter()
                    .map(|e| e.message.as_str())
                    .collect::<Vec<_>>()
                    .join("; ");
                Problem::validation(detail).with_extension("errors", errors)
            }
            AccountError::EmailTaken => Problem::new(
                ProblemCode::EmailTaken,
                "An account with this email already exists",
            ),
            AccountError::InvalidCredentials => {
                Problem::new(ProblemCode::InvalidCredentials, "Invalid email or password")
            }
            // The same words for every address: the throttle must not tell accounts apart.
            AccountError::LoginThrottled { .. } => Problem::new(
                ProblemCode::RateLimited,
                "Too many failed sign-ins for this email address; try again later",
            ),
            AccountError::InvalidRefreshToken => {
                Problem::new(ProblemCode::InvalidToken, "The refresh token is not valid")
            }
            AccountError::NoSuchAccount => Problem::new(
                ProblemCode::InvalidToken,
                "The account does not exist or is closed",
            ),
            AccountError::UnknownEmail(_) => Problem::not_found("Account"),
            AccountError::Token(e) => e.into(),
            other => Problem::internal(&other),
        }
    }
}

pub struct Accounts {
    store: Arc<dyn UserStore>,
    hasher: PasswordHasher,
    issuer: Arc<TokenIssuer>,
    refresh_ttl: Duration,
    throttle: ThrottlePolicy,
    /// Previous signing keys (kid) and when they leave the JWKS.
    retired_keys: Vec<(String, DateTime<Utc>)>,
}

impl Accounts {
    pub fn new(
        store: Arc<dyn UserStore>,
        hasher: PasswordHasher,
        issuer: Arc<TokenIssuer>,
        refresh_ttl: Duration,
    ) -> Self {
        Self {
            store,
            hasher,
            issuer,
            refresh_ttl,
            throttle: ThrottlePolicy::default(),
            retired_keys: Vec::new(),
        }
    }

    /// Previous keys (by kid) to unpublish at the given times.
    pub fn with_retired_keys(self, retired_keys: Vec<(String, DateTime<Utc>)>) -> Self {
        Self {
            retired_keys,
            ..self
        }
    }

    /// The JWKS as of `now`: a previous key only while a token it signed may still be alive,
    /// so a rotated-out (perhaps leaked) key stops being trusted on its own.
    pub fn jwks(&self, now: DateTime<Utc>) -> boxoffice_auth::JwkSet {
        let mut set = self.issuer.jwks();
        set.keys.retain(|k| {
            !self
                .retired_keys
                .iter()
                .any(|(kid, until)| *kid == k.kid && *until <= now)
        });
        set
    }

    /// The same use cases with this login throttle instead of the default one.
    pub fn with_login_throttle(self, throttle: ThrottlePolicy) -> Self {
        Self { throttle, ..self }
    }

    /// How long a refresh token (and so a browser session's cookie) lives.
    pub fn refresh_ttl(&self) -> Duration {
        self.refresh_ttl
    }

    pub fn issuer(&self) -> &TokenIssuer {
        &self.issuer
    }

    pub async fn ping(&self) -> Result<(), StoreError> {
        self.store.ping().await
    }

    pub async fn register(
        &self,
        email: &str,
        password: &str,
        name: &str,
    ) -> Result<Session, AccountError> {
        let record = self
            .new_account(email, password, name, Role::Customer)
            .await?;
        let event = EventEnvelope::new(
            "user.registered",
            serde_json::json!({"user_id": record.id, "email": record.email, "name": record.name}),
        )?;
        self.store.create_user(&record, &event).await?;
        tracing::info!(user_id = %record.id, "account registered");
        self.start_session(&record).await
    }

    /// Validates a new account and hashes its password; every field is checked so the client
    /// learns all its mistakes at once.
    async fn new_account(
        &self,
        email: &str,
        password: &str,
        name: &str,
        role: Role,
    ) -> Result<UserRecord, AccountError> {
        let mut errors = Vec::new();
        let email = Email::parse(email)
            .map_err(|m| errors.push(FieldError::new("email", m)))
            .ok();
        let name = UserName::parse(name)
            .map_err(|m| errors.push(FieldError::new("name", m)))
            .ok();
        let local_part = email.as_ref().and_then(|e| e.as_str().split('@').next());
        let password = Password::parse(password, local_part)
            .map_err(|e| errors.push(FieldError::new("password", e.to_string())))
            .ok();
        let (Some(email), Some(name), Some(password)) = (email, name, password) else {
            return Err(AccountError::Invalid(errors));
        };
        let password_hash = self.hasher.hash(password.expose()).await?;
        Ok(UserRecord {
            id: Uuid::now_v7(),
            email: email.as_str().to_owned(),
            name: name.as_str().to_owned(),
            password_hash,
            role,
            created_at: now(),
            disabled_at: None,
        })
    }

    pub async fn login(&self, email: &str, password: &str) -> Result<Session, AccountError> {
        // Counted per typed address before anything is verified, in the database so that it
        // holds across replicas and client addresses; unknown addresses are counted the same
        // way, so a refusal says nothing about whether the account exists (ADR 0504).
        let key = throttle_key(email);
        let at = now();
        if let Err(until) = self.store.admit_login(&key, &self.throttle, at).await? {
            let retry_after = (until - at).to_std().unwrap_or_default();
            return Err(AccountError::LoginThrottled { retry_after });
        }
        let record = match Email::parse(email) {
            Ok(email) => self.store.user_by_email(email.as_str()).await?,
            Err(_) => None,
        };
        let record = record.filter(UserRecord::is_active);
        // Always one argon2 verification, against the dummy hash when there is no account, so
        // the answer and its timing are the same whether the email exists or not.
        let matches = self
            .hasher
            .verify(password, record.as_ref().map(|r| r.password_hash.as_str()))
            .await?;
        match record {
            Some(record) if matches => {
                self.store.clear_login_throttle(&key).await?;
                self.start_session(&record).await
            }
            _ => Err(AccountError::InvalidCredentials),
        }
    }

    pub async fn refresh(&self, presented: &str) -> Result<Session, AccountError> {
        let successor = refresh_token::mint()?;
        let now = now();
        let rotation = self
            .store
            .rotate_refresh_token(
                &refresh_token::hash_of(presented),
                &successor.hash,
                now + self.refresh_ttl,
                now,
            )
            .await?;
        let user_id = match rotation {
            Rotation::Rotated { user_id } => user_id,
            Rotation::ReuseDetected => {
                tracing::warn!(
                    "a rotated refresh token was presented again; its token family is revoked"
                );
                return Err(AccountError::InvalidRefreshToken);
            }
            Rotation::Invalid => return Err(AccountError::InvalidRefreshToken),
        };
        let record = self
            .active_account(user_id)
            .await
            .map_err(|_| AccountError::InvalidRefreshToken)?;
        self.session(&record, successor.secret)
    }

    pub async fn logout(&self, presented: &str) -> Result<(), AccountError> {
        self.store
            .revoke_family_of(&refresh_token::hash_of(presented), now())
            .await?;
        Ok(())
    }

    /// The account behind a verified token, if it still exists and is open.
    pub async fn active_account(&self, user_id: Uuid) -> Result<UserRecord, AccountError> {
        self.store
            .user_by_id(user_id)
            .await?
            .filter(UserRecord::is_active)
            .ok_or(AccountError::NoSuchAccount)
    }

    /// Creates a staff account, or promotes the existing account with this email after
    /// checking its password. For `boxoffice users create-admin`.
    pub async fn create_admin(
        &self,
        email: &str,
        password: &str,
        name: &str,
    ) -> Result<User, AccountError> {
        let parsed = Email::parse(email)
            .map_err(|m| AccountError::Invalid(vec![FieldError::new("email", m)]))?;
        if let Some(existing) = self.store.user_by_email(parsed.as_str()).await? {
            if !self
                .hasher
                .verify(password, Some(&existing.password_hash))
                .await?
            {
                return Err(AccountError::InvalidCredentials);
            }
            self.store.set_role(existing.id, Role::Admin).await?;
            return Ok(User {
                role: Role::Admin,
                ..User::from(&existing)
            });
        }
        let record = self.new_account(email, password, name, Role::Admin).await?;
        let event = EventEnvelope::new(
            "user.registered",
            serde_json::json!({"user_id": record.id, "email": record.email, "name": record.name}),
        )?;
        self.store.create_user(&record, &event).await?;
        Ok(User::from(&record))
    }

    /// Gives the existing account with this email `role`, whatever it had before (one role
    /// per account: granting `staff` to an admin makes it staff). For `boxoffice users
    /// grant-role`; the account's next token carries the role, tokens already issued keep
    /// theirs until they expire.
    pub async fn grant_role(&self, email: &str, role: Role) -> Result<User, AccountError> {
        let parsed = Email::parse(email)
            .map_err(|m| AccountError::Invalid(vec![FieldError::new("email", m)]))?;
        let existing = self
            .store
            .user_by_email(parsed.as_str())
            .await?
            .ok_or_else(|| AccountError::UnknownEmail(parsed.as_str().to_owned()))?;
        if !self.store.set_role(existing.id, role).await? {
            // Deleted between the two statements.
            return Err(AccountError::UnknownEmail(parsed.as_str().to_owned()));
        }
        tracing::info!(user_id = %existing.id, role = role.as_str(), "role granted");
        Ok(User {
            role,
            ..User::from(&existing)
        })
    }

    pub async fn close_account(&self, user_id: Uuid) -> Result<bool, AccountError> {
        Ok(self.store.disable_user(user_id, now()).await?)
    }

    async fn start_session(&self, record: &UserRecord) -> Result<Session, AccountError> {
        let token = refresh_token::mint()?;
        let now = now();
        self.store
            .save_refresh_token(&NewRefreshToken {
                hash: token.hash,
                family_id: Uuid::now_v7(),
                user_id: record.id,
                issued_at: now,
                expires_at: now + self.refresh_ttl,
            })
            .await?;
        self.session(record, token.secret)
    }

    fn session(&self, record: &UserRecord, refresh_token: String) -> Result<Session, AccountError> {
        let access_token = self.issuer.issue(record.id, record.role)?;
        Ok(Session {
            user: User::from(record),
            access_token,
            refresh_token,
            token_type: "Bearer",
            expires_in: self.issuer.lifetime().as_secs(),
        })
    }
}

/// Microsecond precision: what PostgreSQL keeps, so values compare equal after a round trip.
fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}
