//! Verifying access tokens, in every service.

use std::collections::HashMap;
use std::sync::RwLock;
use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use crate::claims::Claims;
use crate::error::AuthError;
use crate::jwks::JwkSet;

/// An unknown `kid` triggers a JWKS refetch (the users service may have rotated its key), but
/// at most this often, so a flood of tokens with made-up kids cannot flood the users service.
const MIN_REFETCH_INTERVAL: Duration = Duration::from_secs(5);
const FETCH_TIMEOUT: Duration = Duration::from_secs(3);
/// Tokens whose signature was already checked; a customer's token is presented on every
/// request, at the gateway and again at the service, and an Ed25519 check costs more than the
/// rest of a cached seat-map read.
const VERIFIED_TOKENS: usize = 50_000;

/// What every token must say about where it comes from and whom it is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenRules {
    pub issuer: String,
    pub audience: String,
    /// Clock skew tolerated on `exp` and `nbf`, in seconds.
    pub leeway_secs: u64,
}

impl Default for TokenRules {
    fn default() -> Self {
        Self {
            issuer: "boxoffice".into(),
            audience: "boxoffice".into(),
            leeway_secs: 30,
        }
    }
}

/// Where the public keys come from.
pub enum KeySource {
    /// Keys known up front: the users service verifying its own tokens.
    Static(JwkSet),
    /// The users service's `/.well-known/jwks.json`, fetched on first use and on an unknown kid.
    Remote {
        url: String,
        client: reqwest::Client,
    },
}

pub struct Verifier {
    rules: TokenRules,
    source: KeySource,
    keys: RwLock<HashMap<String, DecodingKey>>,
    /// Serialises refetches and remembers when the last one happened.
    last_fetch: tokio::sync::Mutex<Option<Instant>>,
    /// Token text → its claims, for tokens that passed every check once. A token's bytes
    /// cannot change, so neither can its signature's verdict; the time checks (`exp`, `nbf`)
    /// are repeated on every use. Emptied whenever the key set changes.
    verified: RwLock<HashMap<String, Claims>>,
    /// Bumped (under `verified`'s lock) whenever the key set changes: a verification that
    /// began before the change must not put its verdict in the emptied cache.
    key_generation: std::sync::atomic::AtomicU64,
}

impl Verifier {
    pub fn new(source: KeySource, rules: TokenRules) -> Self {
        let keys = match &source {
            KeySource::Static(set) => decoding_keys(set),
            KeySource::Remote { .. } => HashMap::new(),
        };
        Self {
            rules,
            source,
            keys: RwLock::new(keys),
            last_fetch: tokio::sync::Mutex::new(None),
            verified: RwLock::new(HashMap::new()),
            key_generation: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// A verifier that fetches keys from the users service at `jwks_url`.
    pub fn remote(jwks_url: impl Into<String>, rules: TokenRules) -> Self {
        let client = reqwest::Client::builder()
            .timeout(FETCH_TIMEOUT)
            .build()
            .unwrap_or_default();
        Self::new(
            KeySource::Remote {
                url: jwks_url.into(),
                client,
            },
            rules,
        )
    }

    /// Checks the signature (EdDSA only), `exp`, `nbf`, `iss` and `aud`, and returns the claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let known = self
            .verified
            .read()
            .ok()
            .and_then(|verified| verified.get(token).cloned());
        if let Some(claims) = known {
            return self.still_valid(claims);
        }
        let generation = self
            .key_generation
            .load(std::sync::atomic::Ordering::Acquire);
        let claims = self.verify_signed(token).await?;
        if let Ok(mut verified) = self.verified.write() {
            if self
                .key_generation
                .load(std::sync::atomic::Ordering::Acquire)
                != generation
            {
                // The keys changed while this token was checked: answer, but do not keep.
                return Ok(claims);
            }
            if verified.len() >= VERIFIED_TOKENS {
                // Bounded: forget them all rather than track ages; each is checked again once.
                verified.clear();
            }
            verified.insert(token.to_owned(), claims.clone());
        }
        Ok(claims)
    }

    /// The time checks `jsonwebtoken` made when the token was first verified, made again now.
    fn still_valid(&self, claims: Claims) -> Result<Claims, AuthError> {
        let now = i64::try_from(jsonwebtoken::get_current_timestamp()).unwrap_or(i64::MAX);
        let leeway = i64::try_from(self.rules.leeway_secs).unwrap_or(i64::MAX);
        if claims.exp.saturating_add(leeway) < now || claims.nbf.saturating_sub(leeway) > now {
            return Err(AuthError::InvalidToken("rejected"));
        }
        Ok(claims)
    }

    async fn verify_signed(&self, token: &str) -> Result<Claims, AuthError> {
        let header =
            jsonwebtoken::decode_header(token).map_err(|_| AuthError::InvalidToken("malformed"))?;
        // Checked before any key is looked at: no other algorithm is ever accepted, so neither
        // `none` nor an HMAC keyed with a public key can get through.
        if header.alg != Algorithm::EdDSA {
            return Err(AuthError::InvalidToken("algorithm not allowed"));
        }
        let kid = header.kid.ok_or(AuthError::InvalidToken("no kid"))?;
        let key = self.key_for(&kid).await?;

        let mut validation = Validation::new(Algorithm::EdDSA);
        validation.set_issuer(&[&self.rules.issuer]);
        validation.set_audience(&[&self.rules.audience]);
        validation.validate_nbf = true;
        validation.leeway = self.rules.leeway_secs;
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        jsonwebtoken::decode::<Claims>(token, &key, &validation)
            .map(|data| data.claims)
            .map_err(|e| {
                tracing::debug!(error = %e, "token failed validation");
                AuthError::InvalidToken("rejected")
            })
    }

    fn cached(&self, kid: &str) -> Option<DecodingKey> {
        self.keys
            .read()
            .ok()
            .and_then(|keys| keys.get(kid).cloned())
    }

    async fn key_for(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        let KeySource::Remote { url, client } = &self.source else {
            return Err(AuthError::InvalidToken("unknown kid"));
        };
        let mut last_fetch = self.last_fetch.lock().await;
        // Another request may have refetched while this one waited for the lock.
        if let Some(key) = self.cached(kid) {
            return Ok(key);
        }
        if last_fetch.is_some_and(|at| at.elapsed() < MIN_REFETCH_INTERVAL) {
            return Err(AuthError::InvalidToken("unknown kid"));
        }
        let set = fetch_jwks(client, url).await?;
        *last_fetch = Some(Instant::now());
        if let Ok(mut keys) = self.keys.write() {
            *keys = decoding_keys(&set);
        }
        // A key that left the set must stop vouching for tokens at once.
        if let Ok(mut verified) = self.verified.write() {
            self.key_generation
                .fetch_add(1, std::sync::atomic::Ordering::AcqRel);
            verified.clear();
        }
        self.cached(kid)
            .ok_or(AuthError::InvalidToken("unknown kid"))
    }
}

async fn fetch_jwks(client: &reqwest::Client, url: &str) -> Result<JwkSet, AuthError> {
    let mut request = client.get(url);
    for (name, value) in boxoffice_telemetry::trace_context::outbound() {
        request = request.header(name, value);
    }
    let response = request
        .send()
        .await
        .map_err(|e| AuthError::KeysUnavailable(e.to_string()))?;
    if !response.status().is_success() {
        return Err(AuthError::KeysUnavailable(format!(
            "JWKS answered {}",
            response.status()
        )));
    }
    response
        .json::<JwkSet>()
        .await
        .map_err(|e| AuthError::KeysUnavailable(e.to_string()))
}

fn decoding_keys(set: &JwkSet) -> HashMap<String, DecodingKey> {
    set.keys
        .iter()
        .filter(|jwk| jwk.is_ed25519_signing_key())
        .filter_map(|jwk| {
            DecodingKey::from_ed_components(&jwk.x)
                .ok()
                .map(|key| (jwk.kid.clone(), key))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use uuid::Uuid;

    use super::*;
    use crate::claims::Role;
    use crate::issuer::TokenIssuer;
    use crate::keys::SigningKeyPair;

    fn issuer(lifetime: Duration) -> TokenIssuer {
        let rules = TokenRules {
            leeway_secs: 0,
            ..TokenRules::default()
        };
        let key = SigningKeyPair::generate().expect("key");
        TokenIssuer::new(key, Vec::new(), rules, lifetime).expect("issuer")
    }

    fn verifier_for(issuer: &TokenIssuer) -> Verifier {
        Verifier::new(KeySource::Static(issuer.jwks()), issuer.rules().clone())
    }

    #[tokio::test]
    async fn a_token_verified_before_is_still_refused_once_it_expires() {
        let issuer = issuer(Duration::from_secs(1));
        let verifier = verifier_for(&issuer);
        let token = issuer.issue(Uuid::now_v7(), Role::Customer).expect("token");
        assert!(verifier.verify(&token).await.is_ok());
        assert!(verifier.verify(&token).await.is_ok(), "served from memory");
        tokio::time::sleep(Duration::from_millis(2_100)).await;
        assert!(verifier.verify(&token).await.is_err());
    }

    #[tokio::test]
    async fn a_tampered_copy_of_a_verified_token_is_refused() {
        let issuer = issuer(Duration::from_secs(60));
        let verifier = verifier_for(&issuer);
        let token = issuer.issue(Uuid::now_v7(), Role::Customer).expect("token");
        assert!(verifier.verify(&token).await.is_ok());
        let mut tampered = token.clone().into_bytes();
        let last = tampered.len() - 2;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        let tampered = String::from_utf8(tampered).expect("utf8");
        assert!(verifier.verify(&tampered).await.is_err());
    }

    #[tokio::test]
    async fn tokens_of_another_key_are_refused_even_after_good_ones() {
        let good = issuer(Duration::from_secs(60));
        let other = issuer(Duration::from_secs(60));
        let verifier = verifier_for(&good);
        let user = Uuid::now_v7();
        assert!(
            verifier
                .verify(&good.issue(user, Role::Admin).expect("t"))
                .await
                .is_ok()
        );
        assert!(
            verifier
                .verify(&other.issue(user, Role::Admin).expect("t"))
                .await
                .is_err()
        );
    }
}
