//! The gateway's settings: where the upstreams are, and the limits it enforces.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use boxoffice_auth::{TokenRules, Verifier};
use boxoffice_config::Secret;
use serde::{Deserialize, Serialize};

use crate::ratelimit::Quota;
use crate::web::WebSettings;

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Settings {
    pub listen: SocketAddr,
    pub upstreams: Upstreams,
    /// The users service's JWKS, for [`Settings::remote_verifier`].
    pub jwks_url: String,
    pub issuer: String,
    pub audience: String,
    /// Largest request body passed to an upstream; larger ones get 413 at the gateway.
    pub max_body_bytes: usize,
    /// How long an upstream may take to start answering (status and headers) before the
    /// client gets 504. Streaming bodies and WebSocket tunnels are not cut by it.
    pub upstream_timeout_ms: u64,
    /// How long opening a TCP connection to an upstream may take: a host that drops packets
    /// must give 503 quickly rather than hang until the OS gives up.
    pub connect_timeout_ms: u64,
    /// Origins allowed to call the API from a browser; empty means same-origin only, `*` any.
    pub cors_allowed_origins: Vec<String>,
    /// Whether to believe `x-forwarded-for`/`-proto` sent by the client. Only true behind a
    /// trusted load balancer: otherwise any client could pick the IP it is rate-limited as.
    pub trust_forwarded_headers: bool,
    /// Proxies in front of the one that connects (a CDN before the load balancer), as IPs or
    /// CIDR networks: their entries in `x-forwarded-for` are skipped when looking for the
    /// client, which is the rightmost entry that is none of them.
    pub trusted_proxies: Vec<String>,
    pub rate_limit: RateLimitSettings,
    pub web: WebSettings,
    pub shutdown_grace_secs: u64,
    /// Connection limits of the public listener.
    pub server: boxoffice_http::ServerSettings,
    /// The bearer token Prometheus presents for `/metrics` on the public port (at least 16
    /// characters); `metrics_token_file` takes precedence. Unset: `/metrics` is not served
    /// here (404); scrape the internal services directly (ADR 0105).
    pub metrics_token: Secret,
    pub metrics_token_file: Option<PathBuf>,
}

/// The base URLs (`http://host:port`, optionally with a path prefix) of the services the gateway
/// routes to. Payments is internal and never routed.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct Upstreams {
    pub users: String,
    pub cinema: String,
    pub booking: String,
    /// The notifications look-up of the back office (`/api/v1/admin/notifications`).
    pub notifications: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct RateLimitSettings {
    pub enabled: bool,
    /// Requests per period per user (authenticated) or per client IP, as a GCRA: the whole
    /// quota may be spent in a burst, and it refills evenly over the period.
    pub requests: u32,
    pub period_secs: u64,
    /// The stricter quota of `/api/v1/auth/login` and `/register`, per client IP: they are
    /// where passwords are guessed and accounts mass-created.
    pub auth_requests: u32,
    pub auth_period_secs: u64,
    /// When set, the budget is shared by every gateway through Redis; otherwise it is per
    /// process, in memory.
    pub redis_url: Option<String>,
    pub redis_key_prefix: String,
    /// How long a Redis call may take before the gateway falls back to its in-memory limiter.
    pub redis_timeout_ms: u64,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8000)),
            upstreams: Upstreams::default(),
            jwks_url: "http://127.0.0.1:8101/.well-known/jwks.json".into(),
            issuer: TokenRules::default().issuer,
            audience: TokenRules::default().audience,
            max_body_bytes: 1024 * 1024,
            upstream_timeout_ms: 30_000,
            connect_timeout_ms: 1_000,
            cors_allowed_origins: Vec::new(),
            trust_forwarded_headers: false,
            trusted_proxies: Vec::new(),
            rate_limit: RateLimitSettings::default(),
            web: WebSettings::default(),
            shutdown_grace_secs: 10,
            server: boxoffice_http::ServerSettings::default(),
            metrics_token: Secret::default(),
            metrics_token_file: None,
        }
    }
}

impl Default for Upstreams {
    fn default() -> Self {
        Self {
            users: "http://127.0.0.1:8101".into(),
            cinema: "http://127.0.0.1:8102".into(),
            booking: "http://127.0.0.1:8103".into(),
            notifications: "http://127.0.0.1:8105".into(),
        }
    }
}

impl Default for RateLimitSettings {
    fn default() -> Self {
        Self {
            enabled: true,
            requests: 300,
            period_secs: 60,
            auth_requests: 20,
            auth_period_secs: 60,
            redis_url: None,
            redis_key_prefix: "boxoffice:ratelimit:".into(),
            redis_timeout_ms: 200,
        }
    }
}

impl RateLimitSettings {
    pub fn general_quota(&self) -> Quota {
        Quota::new(self.requests, Duration::from_secs(self.period_secs))
    }

    pub fn auth_quota(&self) -> Quota {
        Quota::new(
            self.auth_requests,
            Duration::from_secs(self.auth_period_secs),
        )
    }
}

impl Settings {
    pub fn token_rules(&self) -> TokenRules {
        TokenRules {
            issuer: self.issuer.clone(),
            audience: self.audience.clone(),
            ..TokenRules::default()
        }
    }

    /// The verifier the gateway runs with in production: the users service's JWKS.
    pub fn remote_verifier(&self) -> Verifier {
        Verifier::remote(self.jwks_url.clone(), self.token_rules())
    }

    pub fn upstream_timeout(&self) -> Duration {
        Duration::from_millis(self.upstream_timeout_ms)
    }

    pub fn connect_timeout(&self) -> Duration {
        Duration::from_millis(self.connect_timeout_ms)
    }
}
