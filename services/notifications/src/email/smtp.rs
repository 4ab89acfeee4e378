//! Email over SMTP with lettre (rustls), host, port, credentials and TLS mode configurable.

use std::time::Duration;

use async_trait::async_trait;
use boxoffice_config::Secret;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Tokio1Executor};
use serde::{Deserialize, Serialize};

use super::{EmailError, EmailSender, OutgoingEmail};

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum TlsMode {
    /// Plain text: only for a relay on the same host or a test server.
    None,
    /// Plain connection upgraded with STARTTLS, which is required (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: Option<String>,
    pub password: Option<Secret>,
    /// Per SMTP command; must stay well under the notification claim's expiry.
    pub timeout_secs: u64,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        Self {
            host: "localhost".to_owned(),
            port: 587,
            tls: TlsMode::Starttls,
            username: None,
            password: None,
            timeout_secs: 20,
        }
    }
}

/// Sends through an SMTP server, reusing pooled connections.
#[derive(Clone)]
pub struct SmtpSender {
    transport: AsyncSmtpTransport<Tokio1Executor>,
}

impl std::fmt::Debug for SmtpSender {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpSender").finish_non_exhaustive()
    }
}

impl SmtpSender {
    pub fn new(settings: &SmtpSettings) -> Result<Self, EmailError> {
        let tls = match settings.tls {
            TlsMode::None => Tls::None,
            TlsMode::Starttls => Tls::Required(tls_parameters(&settings.host)?),
            TlsMode::Tls => Tls::Wrapper(tls_parameters(&settings.host)?),
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&settings.host)
            .port(settings.port)
            .tls(tls)
            .timeout(Some(Duration::from_secs(settings.timeout_secs.max(1))));
        if let Some(username) = &settings.username {
            let password = settings
                .password
                .as_ref()
                .map(|p| p.expose().to_owned())
                .unwrap_or_default();
            builder = builder.credentials(Credentials::new(username.clone(), password));
        }
        Ok(Self {
            transport: builder.build(),
        })
    }

    /// Opens a connection and says hello: for readiness probes and start-up checks.
    pub async fn test_connection(&self) -> Result<(), EmailError> {
        match self.transport.test_connection().await {
            Ok(true) => Ok(()),
            Ok(false) => Err(EmailError::Transient(
                "the SMTP server did not answer NOOP".into(),
            )),
            Err(e) => Err(EmailError::Transient(e.to_string())),
        }
    }
}

fn tls_parameters(host: &str) -> Result<TlsParameters, EmailError> {
    TlsParameters::new(host.to_owned())
        .map_err(|e| EmailError::Rejected(format!("TLS settings for {host}: {e}")))
}

#[async_trait]
impl EmailSender for SmtpSender {
    async fn send(&self, email: &OutgoingEmail) -> Result<(), EmailError> {
        match self.transport.send(email.message.clone()).await {
            Ok(_) => Ok(()),
            Err(e) if e.is_permanent() => Err(EmailError::Rejected(e.to_string())),
            Err(e) => Err(EmailError::Transient(e.to_string())),
        }
    }

    fn kind(&self) -> &'static str {
        "smtp"
    }
}
