//! The gateway: the single public entry point of boxoffice. It routes to users, booking
//! (GraphQL over HTTP and WebSocket), cinema (admin, posters) and notifications (the
//! back-office look-up), verifies access tokens, rate limits
//! with GCRA (in memory or cluster-wide through Redis), bounds bodies and upstream latency, and
//! serves the web shop.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use boxoffice_auth::Verifier;
use boxoffice_http::{
    CancellationToken, MetricsAccess, Readiness, ServiceCredential, health_router_with, serve,
    with_standard_layers,
};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub mod api_docs;
pub mod cors;
pub mod error;
pub mod headers;
pub mod proxy;
pub mod ratelimit;
pub mod routes;
pub mod settings;
mod tunnel;
pub mod web;

pub use settings::{RateLimitSettings, Settings, Upstreams};

use crate::proxy::{Proxy, Upstream};
use crate::ratelimit::{Limiter, RedisRateLimiter};
use crate::routes::Gateway;

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Upstream(#[from] proxy::UpstreamUrlError),
    #[error(transparent)]
    Cors(#[from] cors::CorsOriginError),
    #[error("rate limit store: {0}")]
    RateLimit(#[from] ratelimit::RateLimitError),
    #[error("gateway.trusted_proxies: {0:?} is not an IP address or a CIDR network")]
    TrustedProxy(String),
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    #[error(transparent)]
    MetricsToken(#[from] boxoffice_http::CredentialError),
}

/// `/metrics` on the public port: only with the configured token, else not at all.
fn metrics_access(settings: &Settings) -> Result<MetricsAccess, StartError> {
    let token = boxoffice_http::TokenSetting {
        service: "gateway metrics",
        setting: "gateway.metrics_token",
        token: &settings.metrics_token,
        file: settings.metrics_token_file.as_deref(),
    }
    .configured()?;
    Ok(token.map_or(MetricsAccess::Hidden, |token| {
        MetricsAccess::Bearer(ServiceCredential::new(&token))
    }))
}

fn forwarded_trust(settings: &Settings) -> Result<headers::ForwardedTrust, StartError> {
    let proxies = settings
        .trusted_proxies
        .iter()
        .map(|entry| {
            let entry = entry.trim();
            entry
                .parse::<ipnet::IpNet>()
                .or_else(|_| entry.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| StartError::TrustedProxy(entry.to_owned()))
        })
        .collect::<Result<_, _>>()?;
    Ok(headers::ForwardedTrust {
        enabled: settings.trust_forwarded_headers,
        proxies,
    })
}

/// A started gateway.
pub struct Running {
    pub http_addr: SocketAddr,
    task: JoinHandle<std::io::Result<()>>,
}

impl Running {
    /// Waits until the gateway has shut down.
    pub async fn wait(self) -> std::io::Result<()> {
        self.task.await.map_err(std::io::Error::other)?
    }
}

/// Starts the gateway; it runs until `shutdown`. `verifier` is normally
/// [`Settings::remote_verifier`] (the users service's JWKS).
pub async fn start(
    settings: Settings,
    verifier: Arc<Verifier>,
    shutdown: CancellationToken,
) -> Result<Running, StartError> {
    let upstreams = routes::Upstreams {
        users: Upstream::parse("users", &settings.upstreams.users)?,
        cinema: Upstream::parse("cinema", &settings.upstreams.cinema)?,
        booking: Upstream::parse("booking", &settings.upstreams.booking)?,
        notifications: Upstream::parse("notifications", &settings.upstreams.notifications)?,
    };
    let limiter = Arc::new(limiter(&settings.rate_limit)?);
    let gateway = Arc::new(Gateway {
        proxy: Proxy::new(&settings, shutdown.clone()),
        upstreams,
        verifier,
        limiter,
        rate_limit: settings.rate_limit.clone(),
        forwarded: forwarded_trust(&settings)?,
    });
    let app = with_standard_layers(
        "gateway",
        routes::router(gateway.clone(), Arc::new(web::Web::new(&settings.web))).merge(
            health_router_with(readiness(&gateway), metrics_access(&settings)?),
        ),
    );
    // Outermost, so that preflights are answered before rate limiting and every answer,
    // errors included, carries the CORS headers a browser needs to read it.
    let app = match cors::layer(&settings.cors_allowed_origins)? {
        Some(cors) => app.layer(cors),
        None => app,
    };

    let listener = TcpListener::bind(settings.listen)
        .await
        .map_err(|e| StartError::Bind(settings.listen, e))?;
    let http_addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(settings.listen, e))?;
    let grace = Duration::from_secs(settings.shutdown_grace_secs);
    let task = tokio::spawn(serve(listener, app, shutdown, grace, settings.server));
    tracing::info!(%http_addr, "gateway listening");
    Ok(Running { http_addr, task })
}

fn limiter(settings: &RateLimitSettings) -> Result<Limiter, StartError> {
    match settings.redis_url.as_deref().filter(|url| !url.is_empty()) {
        Some(url) => Ok(Limiter::with_redis(RedisRateLimiter::new(
            url,
            &settings.redis_key_prefix,
            Duration::from_millis(settings.redis_timeout_ms),
        )?)),
        None => Ok(Limiter::in_memory()),
    }
}

/// Ready when every upstream answers its `/healthz` and, when configured, Redis answers PING.
fn readiness(gateway: &Arc<Gateway>) -> Readiness {
    let mut readiness = Readiness::new();
    for (name, pick) in [
        (
            "users",
            (|g: &Gateway| &g.upstreams.users) as fn(&Gateway) -> &Upstream,
        ),
        ("cinema", |g| &g.upstreams.cinema),
        ("booking", |g| &g.upstreams.booking),
        ("notifications", |g| &g.upstreams.notifications),
    ] {
        let gateway = gateway.clone();
        readiness = readiness.with_check(name, move || {
            let gateway = gateway.clone();
            async move { gateway.proxy.healthz(pick(&gateway)).await }
        });
    }
    if gateway.limiter.redis().is_some() {
        let gateway = gateway.clone();
        readiness = readiness.with_check("redis", move || {
            let gateway = gateway.clone();
            async move {
                match gateway.limiter.redis() {
                    Some(redis) => redis.ping().await.map_err(|e| e.to_string()),
                    None => Ok(()),
                }
            }
        });
    }
    readiness
}
