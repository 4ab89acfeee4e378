//! Access tokens for boxoffice: Ed25519-signed JWTs (`alg: EdDSA` only), issued by the users
//! service and verified by every service against the users service's JWKS.

pub mod caller;
pub mod claims;
pub mod error;
pub mod issuer;
pub mod jwks;
pub mod keys;
pub mod verifier;

pub use caller::{Caller, VerifierState};
pub use claims::{Claims, Role};
pub use error::AuthError;
pub use issuer::TokenIssuer;
pub use jwks::{Jwk, JwkSet};
pub use keys::SigningKeyPair;
pub use verifier::{KeySource, TokenRules, Verifier};
