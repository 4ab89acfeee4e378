//! argon2id password hashing, off the async runtime and bounded in concurrency.

use std::sync::Arc;

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher as _, PasswordVerifier as _};
use tokio::sync::Semaphore;

#[derive(Debug, thiserror::Error)]
pub enum HashingError {
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("hashing task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error("hashing is shut down")]
    Closed,
}

/// Hashes and verifies passwords with argon2id at OWASP's recommended parameters
/// (m = 19 MiB, t = 2, p = 1: `Argon2::default()`).
///
/// Each hash is deliberately expensive, so it runs on the blocking pool, and a semaphore caps
/// how many run at once: a burst of logins queues instead of exhausting memory and CPU.
#[derive(Clone)]
pub struct PasswordHasher {
    permits: Arc<Semaphore>,
    /// Verified against when the email is unknown, so that a login for a missing account costs
    /// the same as one for an existing account and timing does not reveal which emails exist.
    dummy_hash: Arc<str>,
}

impl PasswordHasher {
    pub async fn new(max_concurrent: usize) -> Result<Self, HashingError> {
        let permits = Arc::new(Semaphore::new(max_concurrent.max(1)));
        let mut random = [0u8; 24];
        getrandom::fill(&mut random).map_err(|e| HashingError::Hash(e.to_string()))?;
        let dummy_password = hex(&random);
        let dummy_hash =
            tokio::task::spawn_blocking(move || hash_blocking(&dummy_password)).await??;
        Ok(Self {
            permits,
            dummy_hash: dummy_hash.into(),
        })
    }

    pub async fn hash(&self, password: &str) -> Result<String, HashingError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashingError::Closed)?;
        let password = password.to_owned();
        tokio::task::spawn_blocking(move || hash_blocking(&password)).await?
    }

    /// Whether `password` matches `stored`; with `stored == None` it verifies against the dummy
    /// hash (always false) at the same cost.
    pub async fn verify(&self, password: &str, stored: Option<&str>) -> Result<bool, HashingError> {
        let _permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| HashingError::Closed)?;
        let known = stored.is_some();
        let hash = stored.map_or_else(|| self.dummy_hash.to_string(), str::to_owned);
        let password = password.to_owned();
        let matches =
            tokio::task::spawn_blocking(move || verify_blocking(&password, &hash)).await?;
        Ok(known && matches)
    }
}

fn hash_blocking(password: &str) -> Result<String, HashingError> {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| HashingError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|hash| hash.to_string())
        .map_err(|e| HashingError::Hash(e.to_string()))
}

fn verify_blocking(password: &str, stored: &str) -> bool {
    Argon2::default()
        .verify_password(password.as_bytes(), stored)
        .is_ok()
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_hash_verifies_only_its_password() {
        let hasher = PasswordHasher::new(2).await.expect("hasher");
        let hash = hasher.hash("correct horse battery").await.expect("hash");
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(
            hasher
                .verify("correct horse battery", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("wrong horse battery", Some(&hash))
                .await
                .expect("verify")
        );
        assert!(
            !hasher
                .verify("correct horse battery", None)
                .await
                .expect("verify")
        );
    }
}
