use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};

/// A public key in JWK form (RFC 8037 OKP / Ed25519).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Jwk {
    pub kty: String,
    pub crv: String,
    pub alg: String,
    #[serde(rename = "use")]
    pub use_: String,
    pub kid: String,
    pub x: String,
}

impl Jwk {
    pub fn ed25519(kid: &str, public_key: &[u8; 32]) -> Self {
        Self {
            kty: "OKP".into(),
            crv: "Ed25519".into(),
            alg: "EdDSA".into(),
            use_: "sig".into(),
            kid: kid.into(),
            x: URL_SAFE_NO_PAD.encode(public_key),
        }
    }

    /// Whether this is a key boxoffice accepts: an Ed25519 signing key and nothing else.
    pub fn is_ed25519_signing_key(&self) -> bool {
        self.kty == "OKP" && self.crv == "Ed25519" && self.alg == "EdDSA" && self.use_ == "sig"
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct JwkSet {
    pub keys: Vec<Jwk>,
}
