//! The settings of the whole binary: one section per service.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use anyhow::Context;
use boxoffice_config::Secret;
use boxoffice_store::{Database, Migrations, PoolSettings};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub data_dir: PathBuf,
    pub log_format: String,
    pub users: boxoffice_users::Settings,
    pub cinema: boxoffice_cinema::Settings,
    pub payments: PaymentsSection,
    pub gateway: boxoffice_gateway::Settings,
    pub booking: boxoffice_booking::Settings,
    pub notifications: boxoffice_notifications::Settings,
    /// RabbitMQ for every service's events (`amqp://…`); unset means the in-process bus, which
    /// only works when every service runs in one process (`boxoffice all`).
    pub amqp_url: Option<String>,
    /// Redis for cluster-wide rate limits and notification claims; unset means in memory.
    pub redis_url: Option<String>,
    /// The users service's JWKS as the other services reach it. Unset: derived from
    /// `users.listen`, which only works when users runs on the same host (a container or pod
    /// of its own must be named: `http://users:8101/.well-known/jwks.json`).
    pub jwks_url: Option<String>,
    /// The OTLP/gRPC collector that receives the traces (`http://collector:4317`); unset or
    /// empty exports nothing (spans still get ids, for the logs and the propagated context).
    pub otlp_endpoint: Option<String>,
}

/// The payments service takes its database URL beside its settings.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PaymentsSection {
    pub database_url: String,
    #[serde(flatten)]
    pub service: boxoffice_payments::Settings,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            data_dir: PathBuf::from("boxoffice-data"),
            log_format: "auto".into(),
            users: boxoffice_users::Settings {
                key_dir: PathBuf::new(),
                ..boxoffice_users::Settings::default()
            },
            cinema: boxoffice_cinema::Settings::default(),
            payments: PaymentsSection::default(),
            gateway: boxoffice_gateway::Settings::default(),
            booking: boxoffice_booking::Settings::default(),
            notifications: boxoffice_notifications::Settings::default(),
            amqp_url: None,
            redis_url: None,
            jwks_url: None,
            otlp_endpoint: None,
        }
    }
}

impl Settings {
    /// The settings of one command. Touches no file: the data directory and the internal
    /// credentials in it are made by [`Settings::prepare_data_dir`] and
    /// [`Settings::with_internal_credentials`], for the commands that use them (`bench`, whose
    /// embedded instance lives in a temporary directory, must leave the current one alone).
    pub fn load(config: Option<&Path>, overrides: &serde_json::Value) -> anyhow::Result<Self> {
        let mut settings: Self = boxoffice_config::load(config, overrides)?;
        settings.resolve_defaults();
        Ok(settings)
    }

    /// Creates the data directory (embedded stores, keys and mail live there).
    pub fn prepare_data_dir(&self) -> anyhow::Result<()> {
        std::fs::create_dir_all(&self.data_dir)
            .with_context(|| format!("creating {}", self.data_dir.display()))
    }

    /// Prepares the data directory and fills in the credentials of the internal APIs (payments
    /// REST, cinema gRPC) that were not configured, from the data directory's `secrets/`
    /// (generated there on first use), so that every process of a single-host deployment
    /// agrees on them; callers (booking) present the same ones by default. Only for a service
    /// that listens on loopback: one exposed beyond it must be given its credential
    /// explicitly, and refuses to start without (ADR 0105).
    pub fn with_internal_credentials(&mut self) -> anyhow::Result<()> {
        self.prepare_data_dir()?;
        let payments = &self.payments.service;
        if payments.service_token.is_empty()
            && payments.service_token_file.is_none()
            && boxoffice_http::credential::is_loopback(&payments.listen)
        {
            self.payments.service.service_token = self.internal_token("payments")?;
        }
        let booking = &self.booking;
        if booking.payments_token.is_empty() && booking.payments_token_file.is_none() {
            self.booking.payments_token = self.payments.service.service_token.clone();
            self.booking.payments_token_file = self.payments.service.service_token_file.clone();
        }
        let cinema = &self.cinema;
        if cinema.service_token.is_empty()
            && cinema.service_token_file.is_none()
            && cinema.grpc_addr.ip().is_loopback()
        {
            self.cinema.service_token = self.internal_token("cinema")?;
        }
        let booking = &self.booking;
        if booking.cinema_token.is_empty() && booking.cinema_token_file.is_none() {
            self.booking.cinema_token = self.cinema.service_token.clone();
            self.booking.cinema_token_file = self.cinema.service_token_file.clone();
        }
        Ok(())
    }

    /// Settings for a throwaway instance in `data_dir`: embedded stores, every port chosen by
    /// the OS, everything else as in `base`.
    pub fn load_for_data_dir(data_dir: &Path, base: &Settings) -> anyhow::Result<Self> {
        let any_port = SocketAddr::from(([127, 0, 0, 1], 0));
        let mut settings = Self {
            data_dir: data_dir.to_owned(),
            log_format: base.log_format.clone(),
            otlp_endpoint: base.otlp_endpoint.clone(),
            ..Self::default()
        };
        settings.users.listen = any_port;
        settings.cinema.http_addr = any_port;
        settings.cinema.grpc_addr = any_port;
        settings.payments.service.listen = any_port.to_string();
        settings.booking.listen = any_port;
        settings.notifications.listen = any_port.to_string();
        settings.gateway.listen = any_port;
        settings.resolve_defaults();
        settings.with_internal_credentials()?;
        Ok(settings)
    }

    /// Fills in what defaults to a place inside the data directory (paths only).
    fn resolve_defaults(&mut self) {
        if self.users.key_dir.as_os_str().is_empty() {
            self.users.key_dir = self.data_dir.join("keys");
        }
        if self.cinema.database_url.is_empty() {
            self.cinema.database_url = sqlite_url(&self.data_dir, "cinema");
        }
        self.derive_addresses(false);
        if self.gateway.rate_limit.redis_url.is_none() {
            self.gateway.rate_limit.redis_url = self.redis_url.clone();
        }
        let notifications = &mut self.notifications;
        if notifications.data_dir == boxoffice_notifications::Settings::default().data_dir {
            notifications.data_dir = self.data_dir.clone();
        }
        if notifications.amqp_url.is_none() {
            notifications.amqp_url = self.amqp_url.clone();
        }
        if notifications.redis_url.is_none() {
            notifications.redis_url = self.redis_url.clone();
        }
        if self.booking.database_url.is_empty() {
            self.booking.database_url = sqlite_url(&self.data_dir, "booking");
        }
    }

    /// Services find each other at their configured listen addresses, unless an address was set
    /// explicitly (left at its default, it is derived). `boxoffice all` calls this with
    /// `in_process` once every service is bound: then the real addresses always win.
    pub fn derive_addresses(&mut self, in_process: bool) {
        let gateway = boxoffice_gateway::Settings::default();
        let booking = boxoffice_booking::Settings::default();
        let derive = |current: &str, default: &str| in_process || current == default;
        let users_url = format!("http://{}", loopback_for(self.users.listen));
        if derive(&self.gateway.upstreams.users, &gateway.upstreams.users) {
            self.gateway.upstreams.users = users_url.clone();
        }
        if derive(&self.gateway.upstreams.cinema, &gateway.upstreams.cinema) {
            self.gateway.upstreams.cinema =
                format!("http://{}", loopback_for(self.cinema.http_addr));
        }
        if derive(&self.gateway.upstreams.booking, &gateway.upstreams.booking) {
            self.gateway.upstreams.booking =
                format!("http://{}", loopback_for(self.booking.listen));
        }
        if derive(
            &self.gateway.upstreams.notifications,
            &gateway.upstreams.notifications,
        ) {
            self.gateway.upstreams.notifications = dial_url(&self.notifications.listen);
        }
        if derive(&self.gateway.jwks_url, &gateway.jwks_url) {
            self.gateway.jwks_url = self.jwks_url();
        }
        if derive(&self.booking.users_url, &booking.users_url) {
            self.booking.users_url = users_url;
        }
        if derive(&self.booking.cinema_grpc_url, &booking.cinema_grpc_url) {
            self.booking.cinema_grpc_url =
                format!("http://{}", loopback_for(self.cinema.grpc_addr));
        }
        if derive(&self.booking.payments_url, &booking.payments_url) {
            self.booking.payments_url = dial_url(&self.payments.service.listen);
        }
    }

    /// The credential of an internal API, generated once into the data directory so that every
    /// process of a single-host deployment agrees on it. Multi-host deployments set it explicitly
    /// (`BOXOFFICE_PAYMENTS__SERVICE_TOKEN`, `BOXOFFICE_CINEMA__SERVICE_TOKEN` or their
    /// `service_token_file`) on both sides.
    fn internal_token(&self, service: &str) -> anyhow::Result<Secret> {
        let path = self
            .data_dir
            .join("secrets")
            .join(format!("{service}-service-token"));
        match std::fs::read_to_string(&path) {
            Ok(token) => return Ok(Secret::new(token.trim_end())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
        }
        let token = boxoffice_http::credential::generate_token()?;
        // Six processes of one deployment may start at once: the first to publish its token
        // wins and the others use it.
        let agreed = write_private_once(&path, token.expose())
            .with_context(|| format!("writing {}", path.display()))?;
        Ok(Secret::new(agreed.trim_end()))
    }

    /// The JWKS of the users service, as other services reach it.
    pub fn jwks_url(&self) -> String {
        match &self.jwks_url {
            Some(url) => url.clone(),
            None => format!(
                "http://{}/.well-known/jwks.json",
                loopback_for(self.users.listen)
            ),
        }
    }

    pub fn verifier(&self) -> std::sync::Arc<boxoffice_auth::Verifier> {
        std::sync::Arc::new(boxoffice_auth::Verifier::remote(
            self.jwks_url(),
            self.users.token_rules(),
        ))
    }
}

/// Creates `path` (mode 0600) holding `contents` unless it exists, and returns what the file
/// holds. The file appears whole or not at all (written aside, then hard-linked into place),
/// so a process racing another one never reads half a secret.
fn write_private_once(path: &Path, contents: &str) -> std::io::Result<String> {
    use std::io::Write;
    let dir = path.parent().unwrap_or_else(|| Path::new("."));
    std::fs::create_dir_all(dir)?;
    // A name no other process can pick (pids repeat across containers sharing a volume),
    // created new: never somebody else's file, never through a planted symlink.
    let mut random = [0u8; 16];
    getrandom::fill(&mut random).map_err(|e| std::io::Error::other(e.to_string()))?;
    let suffix: String = random.iter().map(|b| format!("{b:02x}")).collect();
    let aside = dir.join(format!(
        ".{}.{suffix}",
        path.file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("secret"),
    ));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&aside)?;
    let written = file
        .write_all(contents.as_bytes())
        .and_then(|()| file.sync_all());
    drop(file);
    let linked = written.and_then(|()| std::fs::hard_link(&aside, path));
    let _ = std::fs::remove_file(&aside);
    match linked {
        Ok(()) => Ok(contents.to_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => std::fs::read_to_string(path),
        Err(e) => Err(e),
    }
}

/// The SQLite store of `service` in `data_dir`, as a URL (the directory is not created here).
fn sqlite_url(data_dir: &Path, service: &str) -> String {
    format!(
        "sqlite:{}",
        data_dir.join(format!("{service}.db")).display()
    )
}

/// The base URL of a service whose listen setting is text (`host:port`; a socket address is
/// dialled as [`loopback_for`] says).
fn dial_url(listen: &str) -> String {
    match listen.parse::<SocketAddr>() {
        Ok(addr) => format!("http://{}", loopback_for(addr)),
        Err(_) => format!("http://{listen}"),
    }
}

/// A listen address as a client should dial it: a wildcard bind is reached on loopback.
pub fn loopback_for(addr: SocketAddr) -> SocketAddr {
    if addr.ip().is_unspecified() {
        SocketAddr::from(([127, 0, 0, 1], addr.port()))
    } else {
        addr
    }
}

/// The database URL of a service: the configured one, or its SQLite file in the data directory.
pub fn store_url(data_dir: &Path, service: &str, configured_url: &str) -> anyhow::Result<String> {
    if configured_url.is_empty() {
        Ok(boxoffice_store::sqlite_url_in(data_dir, service)?)
    } else {
        Ok(configured_url.to_owned())
    }
}

/// Connects a service's store: the configured URL, or its SQLite file in the data directory.
pub async fn connect_store(
    data_dir: &Path,
    service: &str,
    configured_url: &str,
    migrations: &Migrations,
) -> anyhow::Result<Database> {
    let url = store_url(data_dir, service, configured_url)?;
    let database = Database::connect(&url, migrations, PoolSettings::default())
        .await
        .with_context(|| format!("{service} store at {}", boxoffice_store::redact(&url)))?;
    tracing::info!(service, engine = database.engine(), "store ready");
    Ok(database)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_settings_creates_nothing_and_credentials_go_to_the_data_dir_used() {
        let root = std::env::temp_dir().join(format!("bo_test_lazy_{}", uuid::Uuid::now_v7()));
        let data_dir = root.join("data");
        let overrides = serde_json::json!({ "data_dir": data_dir });
        let mut settings = Settings::load(None, &overrides).expect("settings");
        assert!(!root.exists(), "Settings::load created {}", root.display());

        settings.with_internal_credentials().expect("credentials");
        let secrets = data_dir.join("secrets");
        let payments =
            std::fs::read_to_string(secrets.join("payments-service-token")).expect("payments");
        let cinema = std::fs::read_to_string(secrets.join("cinema-service-token")).expect("cinema");
        assert_ne!(payments, cinema);
        assert_eq!(settings.booking.payments_token.expose(), payments);
        assert_eq!(settings.booking.cinema_token.expose(), cinema);
        assert_eq!(settings.cinema.service_token.expose(), cinema);
        std::fs::remove_dir_all(root).ok();
    }

    #[test]
    fn every_service_verifies_tokens_against_the_configured_jwks_url() {
        let overrides = serde_json::json!({
            "users": { "listen": "0.0.0.0:8101" },
            "jwks_url": "http://users:8101/.well-known/jwks.json",
        });
        let settings = Settings::load(None, &overrides).expect("settings");
        assert_eq!(
            settings.jwks_url(),
            "http://users:8101/.well-known/jwks.json"
        );
        assert_eq!(
            settings.gateway.jwks_url,
            "http://users:8101/.well-known/jwks.json"
        );

        let local = Settings::load(None, &serde_json::json!({})).expect("settings");
        assert_eq!(
            local.jwks_url(),
            "http://127.0.0.1:8101/.well-known/jwks.json"
        );
    }

    #[test]
    fn processes_racing_to_create_a_secret_all_end_up_with_the_same_one() {
        let dir = std::env::temp_dir().join(format!("bo_test_secret_{}", uuid::Uuid::now_v7()));
        let path = dir.join("secrets").join("payments-service-token");
        let racers: Vec<_> = (0..16)
            .map(|i| {
                let path = path.clone();
                std::thread::spawn(move || write_private_once(&path, &format!("token-{i}")))
            })
            .collect();
        let agreed: Vec<String> = racers
            .into_iter()
            .map(|r| r.join().expect("thread").expect("written"))
            .collect();
        assert!(agreed.iter().all(|t| t == &agreed[0]), "{agreed:?}");
        assert_eq!(std::fs::read_to_string(&path).expect("file"), agreed[0]);
        let left: Vec<_> = std::fs::read_dir(path.parent().expect("dir"))
            .expect("dir")
            .collect();
        assert_eq!(left.len(), 1, "only the secret is left");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("meta").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        std::fs::remove_dir_all(dir).ok();
    }
}
