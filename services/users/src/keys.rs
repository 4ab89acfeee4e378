//! Where the token signing keys come from.
//!
//! In order: the PEM in the `signing_key` setting (e.g. `BOXOFFICE_USERS__SIGNING_KEY` from a
//! secret store), the file named by `signing_key_file`, or a key generated once and kept in
//! `<key_dir>/current.pem`. `<key_dir>/previous.pem`, when present, stays in the JWKS so tokens
//! signed before a rotation remain valid until they expire — and no longer: `rotate` writes the
//! time of the rotation to `<key_dir>/previous.retired_at`, and the JWKS drops the previous key
//! once the longest access token it can have signed has expired (see `KeyRing`).

use std::path::Path;

use boxoffice_auth::{AuthError, SigningKeyPair};
use chrono::{DateTime, Utc};

use crate::Settings;

const CURRENT: &str = "current.pem";
const PREVIOUS: &str = "previous.pem";
const RETIRED_AT: &str = "previous.retired_at";

pub struct KeyRing {
    pub current: SigningKeyPair,
    pub previous: Vec<SigningKeyPair>,
    /// When the previous key stopped being current: the time `rotate` recorded, else (a key
    /// dir from before that file existed) when `previous.pem` was written.
    pub previous_retired_at: Option<DateTime<Utc>>,
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
        .collect::<Vec<_>>();
    let previous_retired_at = if previous.is_empty() {
        None
    } else {
        retired_at(settings.key_dir.as_path())?
    };
    Ok(KeyRing {
        current,
        previous,
        previous_retired_at,
    })
}

/// Makes a new signing key current and keeps the old one as previous (restart the users
/// service to use it). Returns the new key id.
pub fn rotate(key_dir: &Path) -> Result<String, AuthError> {
    rotate_at(key_dir, Utc::now())
}

/// `rotate` as if it ran `at` (tests use a time in the past instead of waiting).
pub fn rotate_at(key_dir: &Path, at: DateTime<Utc>) -> Result<String, AuthError> {
    let current_path = key_dir.join(CURRENT);
    if let Some(old) = read_optional(&current_path)? {
        old.write_to(&key_dir.join(PREVIOUS))?;
        std::fs::write(key_dir.join(RETIRED_AT), at.to_rfc3339())?;
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

fn retired_at(key_dir: &Path) -> Result<Option<DateTime<Utc>>, AuthError> {
    match std::fs::read_to_string(key_dir.join(RETIRED_AT)) {
        Ok(text) => DateTime::parse_from_rfc3339(text.trim())
            .map(|t| Some(t.with_timezone(&Utc)))
            .map_err(|e| std::io::Error::other(format!("{RETIRED_AT}: {e}")).into()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let written = std::fs::metadata(key_dir.join(PREVIOUS))?.modified()?;
            Ok(Some(DateTime::<Utc>::from(written)))
        }
        Err(e) => Err(e.into()),
    }
}
