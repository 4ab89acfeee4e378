//! Ed25519 signing keys: generation, PEM files, and the key id published in the JWKS.

use std::path::Path;

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use ed25519_dalek::pkcs8::spki::der::pem::LineEnding;
use ed25519_dalek::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use sha2::{Digest, Sha256};

use crate::error::AuthError;
use crate::jwks::Jwk;

/// A private signing key and what is derived from it.
#[derive(Clone)]
pub struct SigningKeyPair {
    key: SigningKey,
    kid: String,
}

impl std::fmt::Debug for SigningKeyPair {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKeyPair")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

impl SigningKeyPair {
    pub fn generate() -> Result<Self, AuthError> {
        let mut seed = [0u8; 32];
        getrandom::fill(&mut seed).map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self::from_signing_key(SigningKey::from_bytes(&seed)))
    }

    /// Reads a PKCS#8 PEM private key (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pkcs8_pem(pem: &str) -> Result<Self, AuthError> {
        let key =
            SigningKey::from_pkcs8_pem(pem.trim()).map_err(|e| AuthError::BadKey(e.to_string()))?;
        Ok(Self::from_signing_key(key))
    }

    pub fn to_pkcs8_pem(&self) -> Result<String, AuthError> {
        self.key
            .to_pkcs8_pem(LineEnding::LF)
            .map(|pem| pem.to_string())
            .map_err(|e| AuthError::BadKey(e.to_string()))
    }

    /// Loads the key at `path`, or generates one and writes it there (mode 0600) when the file
    /// does not exist, so a restarted service keeps signing with the same key.
    pub fn load_or_generate(path: &Path) -> Result<Self, AuthError> {
        match std::fs::read_to_string(path) {
            Ok(pem) => Self::from_pkcs8_pem(&pem),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let pair = Self::generate()?;
                pair.write_to(path)?;
                tracing::info!(path = %path.display(), kid = %pair.kid, "generated a new token signing key");
                Ok(pair)
            }
            Err(e) => Err(e.into()),
        }
    }

    pub fn write_to(&self, path: &Path) -> Result<(), AuthError> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let pem = self.to_pkcs8_pem()?;
        let tmp = path.with_extension("tmp");
        write_private(&tmp, pem.as_bytes())?;
        std::fs::rename(&tmp, path)?;
        Ok(())
    }

    fn from_signing_key(key: SigningKey) -> Self {
        let public = key.verifying_key().to_bytes();
        let digest = Sha256::digest(public);
        let kid = URL_SAFE_NO_PAD.encode(&digest[..12]);
        Self { key, kid }
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn public_jwk(&self) -> Jwk {
        Jwk::ed25519(&self.kid, &self.key.verifying_key().to_bytes())
    }

    pub(crate) fn encoding_key(&self) -> Result<jsonwebtoken::EncodingKey, AuthError> {
        let pem = self.to_pkcs8_pem()?;
        jsonwebtoken::EncodingKey::from_ed_pem(pem.as_bytes())
            .map_err(|e| AuthError::BadKey(e.to_string()))
    }
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_generated_key_survives_a_restart() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys/current.pem");
        let first = SigningKeyPair::load_or_generate(&path).expect("generate");
        let again = SigningKeyPair::load_or_generate(&path).expect("load");
        assert_eq!(first.kid(), again.kid());
    }

    #[test]
    fn garbage_is_not_a_key() {
        assert!(
            SigningKeyPair::from_pkcs8_pem(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
            )
            .is_err()
        );
    }
}
