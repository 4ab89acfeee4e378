//! Issuing access tokens (the users service).

use std::time::Duration;

use chrono::Utc;
use jsonwebtoken::{Algorithm, Header};
use uuid::Uuid;

use crate::claims::{Claims, Role};
use crate::error::AuthError;
use crate::jwks::JwkSet;
use crate::keys::SigningKeyPair;
use crate::verifier::TokenRules;

/// Signs access tokens with the current key and publishes it, plus the previous key while
/// tokens signed by it may still be alive, as the JWKS.
pub struct TokenIssuer {
    current: SigningKeyPair,
    encoding_key: jsonwebtoken::EncodingKey,
    previous: Vec<SigningKeyPair>,
    rules: TokenRules,
    lifetime: Duration,
}

impl TokenIssuer {
    pub fn new(
        current: SigningKeyPair,
        previous: Vec<SigningKeyPair>,
        rules: TokenRules,
        lifetime: Duration,
    ) -> Result<Self, AuthError> {
        let encoding_key = current.encoding_key()?;
        Ok(Self {
            current,
            encoding_key,
            previous,
            rules,
            lifetime,
        })
    }

    pub fn lifetime(&self) -> Duration {
        self.lifetime
    }

    pub fn rules(&self) -> &TokenRules {
        &self.rules
    }

    pub fn issue(&self, user_id: Uuid, role: Role) -> Result<String, AuthError> {
        let now = Utc::now().timestamp();
        let claims = Claims {
            sub: user_id,
            role,
            iss: self.rules.issuer.clone(),
            aud: self.rules.audience.clone(),
            iat: now,
            nbf: now,
            exp: now + self.lifetime.as_secs() as i64,
            jti: Uuid::now_v7(),
        };
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.current.kid().to_owned());
        jsonwebtoken::encode(&header, &claims, &self.encoding_key)
            .map_err(|e| AuthError::Signing(e.to_string()))
    }

    pub fn jwks(&self) -> JwkSet {
        JwkSet {
            keys: std::iter::once(&self.current)
                .chain(&self.previous)
                .map(SigningKeyPair::public_jwk)
                .collect(),
        }
    }
}
