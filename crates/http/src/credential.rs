//! Service credentials (ADR 0201, ADR 0105): the shared secret an internal API's callers
//! present as `Authorization: Bearer <token>`, how it is configured, and the check.

use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use boxoffice_config::Secret;
use sha2::{Digest, Sha256};

use crate::Problem;

/// Shortest token accepted: a guessable credential protects nothing.
pub const MIN_TOKEN_LEN: usize = 16;

#[derive(Debug, thiserror::Error)]
pub enum CredentialError {
    #[error("cannot read the {service} token file {path}: {source}")]
    File {
        service: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the {service} token must be at least {MIN_TOKEN_LEN} characters")]
    TooShort { service: &'static str },
    #[error(
        "{service} refuses to listen on {addr} without a service credential: anyone who reaches \
         that address could call it; set {setting} (or {setting}_file), or listen on 127.0.0.1"
    )]
    ExposedWithout {
        service: &'static str,
        addr: String,
        setting: &'static str,
    },
    #[error("no random source for a token: {0}")]
    Random(String),
}

/// The expected token, kept only as its SHA-256 digest.
#[derive(Clone)]
pub struct ServiceCredential(Arc<[u8; 32]>);

impl std::fmt::Debug for ServiceCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceCredential([redacted])")
    }
}

impl ServiceCredential {
    pub fn new(token: &Secret) -> Self {
        Self(Arc::new(digest(token.expose())))
    }

    /// Compares digests in constant time: equal-length inputs, no early exit, so the time
    /// taken says nothing about how much of a guess was right.
    pub fn accepts(&self, presented: &str) -> bool {
        let presented = digest(presented);
        let diff = self
            .0
            .iter()
            .zip(presented.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b));
        std::hint::black_box(diff) == 0
    }

    /// Whether `headers` carry `Authorization: Bearer <this token>`.
    pub fn accepts_headers(&self, headers: &HeaderMap) -> bool {
        bearer(headers).is_some_and(|token| self.accepts(token))
    }
}

/// The bearer token of `Authorization`, if any.
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn digest(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

/// Middleware: rejects requests without the service credential with 401 problem+json and
/// `WWW-Authenticate: Bearer`, before any handler runs.
pub async fn require_credential(
    State(credential): State<ServiceCredential>,
    request: Request,
    next: Next,
) -> Response {
    if credential.accepts_headers(request.headers()) {
        return next.run(request).await;
    }
    let mut response = Problem::unauthenticated()
        .with_detail("a valid service credential is required")
        .into_response();
    response
        .headers_mut()
        .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
    response
}

/// Where a service's token is configured: `setting` names it in messages
/// (`payments.service_token`), `token` and `file` are its values (the file wins).
pub struct TokenSetting<'a> {
    pub service: &'static str,
    pub setting: &'static str,
    pub token: &'a Secret,
    pub file: Option<&'a Path>,
}

impl TokenSetting<'_> {
    /// The configured token (the file's contents without trailing whitespace first), or
    /// `None` when neither is set. Refuses a token shorter than [`MIN_TOKEN_LEN`].
    pub fn configured(&self) -> Result<Option<Secret>, CredentialError> {
        let token = match self.file {
            Some(path) => Secret::new(
                std::fs::read_to_string(path)
                    .map_err(|source| CredentialError::File {
                        service: self.service,
                        path: path.to_owned(),
                        source,
                    })?
                    .trim_end(),
            ),
            None => self.token.clone(),
        };
        if token.is_empty() {
            return Ok(None);
        }
        if token.expose().len() < MIN_TOKEN_LEN {
            return Err(CredentialError::TooShort {
                service: self.service,
            });
        }
        Ok(Some(token))
    }

    /// The token an internal server checks: the configured one, or — only when it listens on
    /// loopback — a random one for this process, which no caller knows unless it is handed
    /// over in-process (`Running::service_token`). Listening beyond loopback without a
    /// configured token is refused: a generated token would work, but an operator who forgot
    /// the credential must hear about it at start, not find callers failing.
    pub fn for_server(&self, listen: &str) -> Result<Secret, CredentialError> {
        if let Some(token) = self.configured()? {
            return Ok(token);
        }
        if !is_loopback(listen) {
            return Err(CredentialError::ExposedWithout {
                service: self.service,
                addr: listen.to_owned(),
                setting: self.setting,
            });
        }
        tracing::warn!(
            service = self.service,
            "no service token configured: generated one for this process"
        );
        generate_token()
    }
}

/// Whether `listen` (`ip:port`, or `localhost:port`) only accepts connections from this host.
pub fn is_loopback(listen: &str) -> bool {
    if let Ok(addr) = listen.parse::<SocketAddr>() {
        return addr.ip().is_loopback();
    }
    let host = listen.rsplit_once(':').map_or(listen, |(host, _)| host);
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

/// A random 256-bit token, hex encoded.
pub fn generate_token() -> Result<Secret, CredentialError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|e| CredentialError::Random(e.to_string()))?;
    Ok(Secret::new(
        bytes.iter().map(|b| format!("{b:02x}")).collect::<String>(),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_configured_token_is_accepted() {
        let credential = ServiceCredential::new(&Secret::new("s3cret-token-for-tests"));
        assert!(credential.accepts("s3cret-token-for-tests"));
        assert!(!credential.accepts("s3cret-token-for-test"));
        assert!(!credential.accepts(""));
    }

    #[test]
    fn loopback_addresses_are_told_from_exposed_ones() {
        for local in ["127.0.0.1:8104", "[::1]:1", "localhost:8104", "127.0.0.1:0"] {
            assert!(is_loopback(local), "{local}");
        }
        for exposed in ["0.0.0.0:8104", "[::]:50051", "10.0.0.5:1", "payments:8104"] {
            assert!(!is_loopback(exposed), "{exposed}");
        }
    }

    #[test]
    fn an_exposed_server_without_a_token_refuses_and_a_local_one_generates_one() {
        let empty = Secret::default();
        let setting = TokenSetting {
            service: "cinema gRPC",
            setting: "cinema.service_token",
            token: &empty,
            file: None,
        };
        let refused = setting.for_server("0.0.0.0:50051").expect_err("refused");
        assert!(
            refused.to_string().contains("cinema.service_token"),
            "{refused}"
        );
        let generated = setting.for_server("127.0.0.1:50051").expect("generated");
        assert_eq!(generated.expose().len(), 64);
        let short = Secret::new("short");
        let short = TokenSetting {
            token: &short,
            ..setting
        };
        assert!(short.for_server("127.0.0.1:1").is_err());
    }
}
