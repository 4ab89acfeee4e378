//! Where the token signing keys come from.
//!
//! In order: the PEM in the `signing_key` setting (e.g. `BOXOFFICE_USERS__SIGNING_KEY` from a
//! secret store), the file named by `signing_key_file`, or a key generated once and kept in
//! `<key_dir>/current.pem`. `<key_dir>/previous.pem`, when present, stays in the JWKS so tokens
//! signed before a rotation remain valid until they expire.

use std::path::Path;

use boxoffice_auth::{AuthError, SigningKeyPair};

use crate::Settings;

const CURRENT: &str = "current.pem";
const PREVIOUS: &str = "previous.pem";

pub struct KeyRing {
    pub current: SigningKeyPair,
    pub previous: Vec<SigningKeyPair>,
}

pub fn load(settings: &Settings) -> Result<KeyRing, AuthError> {
    let current = if !settings.signing_key.is_empty() {
        SigningKeyPair::from_pkcs8_pem(settings.signing_key.expose())?
    } else if let Some(path) = &settings.signing_key_file {
        SigningKeyPair::from_pkcs8_pem(&std::fs::read_to_string(path)?)?
    } else {
        SigningKeyPair::load_or_generate(&settings.key_dir.join(CURRENT))?
    };
    let previous = read_optional(&settings.key_dir.join(PREVIOUS))?
        .into_iter()
        .filter(|key| key.kid() != current.kid())
        .collect();
    Ok(KeyRing { current, previous })
}

/// Makes a new signing key current and keeps the old one as previous (restart the users
/// service to use it). Returns the new key id.
pub fn rotate(key_dir: &Path) -> Result<String, AuthError> {
    let current_path = key_dir.join(CURRENT);
    if let Some(old) = read_optional(&current_path)? {
        old.write_to(&key_dir.join(PREVIOUS))?;
    }
    let new = SigningKeyPair::generate()?;
    new.write_to(&current_path)?;
    Ok(new.kid().to_owned())
}

fn read_optional(path: &Path) -> Result<Option<SigningKeyPair>, AuthError> {
    match std::fs::read_to_string(path) {
        Ok(pem) => SigningKeyPair::from_pkcs8_pem(&pem).map(Some),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e.into()),
    }
}
