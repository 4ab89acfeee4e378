//! Refresh tokens: 256 random bits handed to the client, only their SHA-256 kept.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sha2::{Digest, Sha256};

use crate::hashing::hex;

/// A freshly minted refresh token: the secret for the client and the hash for the store.
pub struct MintedToken {
    pub secret: String,
    pub hash: String,
}

pub fn mint() -> Result<MintedToken, getrandom::Error> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)?;
    let secret = URL_SAFE_NO_PAD.encode(bytes);
    let hash = hash_of(&secret);
    Ok(MintedToken { secret, hash })
}

/// The lookup key of a presented token. A fast hash is enough: the token has 256 bits of
/// entropy, so there is nothing to brute-force, unlike a password.
pub fn hash_of(secret: &str) -> String {
    hex(&Sha256::digest(secret.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_unique_and_hashes_deterministic() {
        let a = mint().expect("mint");
        let b = mint().expect("mint");
        assert_ne!(a.secret, b.secret);
        assert_eq!(a.secret.len(), 43);
        assert_eq!(hash_of(&a.secret), a.hash);
        assert_ne!(a.hash, a.secret);
    }
}
