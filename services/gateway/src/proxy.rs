//! Forwarding one request to an upstream over hyper's pooled client, bodies streamed both ways.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::Request;
use axum::http::header::{self, HeaderValue};
use axum::http::{StatusCode, Uri, Version};
use axum::response::Response;
use boxoffice_auth::Caller;
use boxoffice_http::CancellationToken;
use boxoffice_telemetry::trace_context;
use http_body_util::combinators::UnsyncBoxBody;
use http_body_util::{BodyExt as _, LengthLimitError, Limited};
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

use crate::error::ProxyError;
use crate::headers::{self, Origin};
use crate::settings::Settings;
use crate::tunnel;

/// HTTP/2 flow-control window of the connection to each upstream (see `Proxy::new`).
const UPSTREAM_CONNECTION_WINDOW: u32 = 64 * 1024 * 1024;

type UpstreamBody = UnsyncBoxBody<Bytes, Box<dyn std::error::Error + Send + Sync>>;
type UpstreamClient = Client<HttpConnector, UpstreamBody>;

/// One upstream service: a name for logs and metrics, and its base URL.
#[derive(Debug, Clone)]
pub struct Upstream {
    pub name: &'static str,
    scheme_and_authority: String,
    path_prefix: String,
}

#[derive(Debug, thiserror::Error)]
#[error("upstream {name} URL {url:?} is not usable: {reason}")]
pub struct UpstreamUrlError {
    name: &'static str,
    url: String,
    reason: &'static str,
}

impl Upstream {
    /// Accepts `http://host:port[/prefix]`. Plain HTTP only: upstreams are inside the cluster,
    /// and the gateway has one TLS-free HTTP stack.
    pub fn parse(name: &'static str, url: &str) -> Result<Self, UpstreamUrlError> {
        let error = |reason| UpstreamUrlError {
            name,
            url: url.to_owned(),
            reason,
        };
        let uri: Uri = url.parse().map_err(|_| error("not a URL"))?;
        if uri.scheme_str() != Some("http") {
            return Err(error("only http:// upstreams are supported"));
        }
        let authority = uri.authority().ok_or_else(|| error("no host"))?;
        Ok(Self {
            name,
            scheme_and_authority: format!("http://{authority}"),
            path_prefix: uri.path().trim_end_matches('/').to_owned(),
        })
    }

    fn uri_for(&self, path_and_query: &str) -> Result<Uri, axum::http::Error> {
        let uri = format!(
            "{}{}{}",
            self.scheme_and_authority, self.path_prefix, path_and_query
        );
        Ok(uri.parse::<Uri>()?)
    }
}

pub struct Proxy {
    /// Plain requests: HTTP/2 without TLS (prior knowledge), so every request to one upstream
    /// shares one connection. With HTTP/1.1 each request in flight held a connection of its
    /// own on both sides, and their buffers: 500 customers in a rush meant 1,000 more sockets
    /// and ~100 KB per customer in the embedded process (docs/BENCHMARKS.md).
    client: UpstreamClient,
    /// Upgrades (WebSocket subscriptions) need HTTP/1.1's `Connection: upgrade`.
    upgrade_client: UpstreamClient,
    timeout: Duration,
    max_body: usize,
    shutdown: CancellationToken,
}

impl Proxy {
    pub fn new(settings: &Settings, shutdown: CancellationToken) -> Self {
        let mut connector = HttpConnector::new();
        connector.set_connect_timeout(Some(settings.connect_timeout()));
        connector.set_nodelay(true);
        let client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .http2_only(true)
            // Every customer's answers from one upstream share this connection's flow-control
            // window, and data a slow client has not taken yet stays counted against it: at
            // hyper's 5 MB, ~75 clients leaving a large seat map unread would stall everyone.
            // 64 MiB needs ~900 of them (and bounds what the gateway may buffer).
            .http2_initial_connection_window_size(UPSTREAM_CONNECTION_WINDOW)
            .build(connector.clone());
        let upgrade_client = Client::builder(TokioExecutor::new())
            .pool_idle_timeout(Duration::from_secs(30))
            .build(connector);
        Self {
            client,
            upgrade_client,
            timeout: settings.upstream_timeout(),
            max_body: settings.max_body_bytes,
            shutdown,
        }
    }

    /// Forwards `request` to `upstream` as the gateway: hop-by-hop and client-claimed identity
    /// headers removed, the verified identity and forwarding headers set, the trace continued.
    /// `max_body` overrides the gateway's body limit for this request (a poster upload).
    pub async fn forward(
        &self,
        upstream: &Upstream,
        mut request: Request,
        origin: &Origin,
        caller: Option<&Caller>,
        max_body: Option<usize>,
    ) -> Result<Response, ProxyError> {
        let limit = max_body.unwrap_or(self.max_body);
        if declared_length(&request).is_some_and(|n| n > limit as u64) {
            return Err(ProxyError::BodyTooLarge { limit });
        }
        let upgrade = upgrade_protocol(&request);
        let cut = Arc::new(AtomicBool::new(false));
        let version = if upgrade.is_some() {
            Version::HTTP_11
        } else {
            Version::HTTP_2
        };
        let client_upgrade = upgrade.is_some().then(|| hyper::upgrade::on(&mut request));
        let (parts, body) = request.into_parts();

        let mut headers = parts.headers;
        // HTTP/2 clients send the host as the URI authority instead of a Host header.
        let host = headers.remove(header::HOST).or_else(|| {
            let authority = parts.uri.authority()?;
            HeaderValue::from_str(authority.as_str()).ok()
        });
        headers::strip_hop_by_hop(&mut headers);
        headers::strip_identity(&mut headers);
        if let Some(caller) = caller {
            headers::set_identity(&mut headers, caller);
        }
        origin.apply(&mut headers, host);
        // The upstream continues the gateway's request span, not the caller's.
        headers.remove(trace_context::TRACEPARENT);
        headers.remove(trace_context::TRACESTATE);
        for (name, value) in trace_context::outbound() {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(name, value);
            }
        }
        if let Some(protocol) = upgrade {
            headers.insert(header::CONNECTION, HeaderValue::from_static("upgrade"));
            headers.insert(header::UPGRADE, protocol);
        }

        let path = parts.uri.path_and_query().map_or("/", |p| p.as_str());
        let bad_gateway = |cause: String| ProxyError::BadGateway {
            upstream: upstream.name,
            cause,
        };
        let uri = upstream
            .uri_for(path)
            .map_err(|e| bad_gateway(e.to_string()))?;
        let mut outbound = Request::builder()
            .method(parts.method)
            .uri(uri)
            .version(version)
            .body(Self::limited(body, limit, cut.clone()))
            .map_err(|e| bad_gateway(e.to_string()))?;
        *outbound.headers_mut() = headers;

        let sent = self.send(upstream, outbound, limit).await;
        if cut.load(Ordering::Acquire) {
            return Err(ProxyError::BodyTooLarge { limit });
        }
        let mut response = sent?;
        if response.status() == StatusCode::SWITCHING_PROTOCOLS {
            let Some(client_upgrade) = client_upgrade else {
                return Err(bad_gateway(
                    "101 to a request that did not ask to upgrade".into(),
                ));
            };
            let upstream_upgrade = hyper::upgrade::on(&mut response);
            tunnel::spawn(
                client_upgrade,
                upstream_upgrade,
                upstream.name,
                self.shutdown.clone(),
            );
            let (parts, _) = response.into_parts();
            return Ok(Response::from_parts(parts, Body::empty()));
        }
        let (mut parts, body) = response.into_parts();
        headers::strip_hop_by_hop(&mut parts.headers);
        Ok(Response::from_parts(parts, Body::new(body)))
    }

    async fn send(
        &self,
        upstream: &Upstream,
        outbound: hyper::Request<UpstreamBody>,
        limit: usize,
    ) -> Result<hyper::Response<hyper::body::Incoming>, ProxyError> {
        let client = if outbound.version() == Version::HTTP_11 {
            &self.upgrade_client
        } else {
            &self.client
        };
        match tokio::time::timeout(self.timeout, client.request(outbound)).await {
            Err(_) => Err(ProxyError::Timeout {
                upstream: upstream.name,
                after: self.timeout,
            }),
            Ok(Ok(response)) => Ok(response),
            Ok(Err(error)) if caused_by_body_limit(&error) => {
                Err(ProxyError::BodyTooLarge { limit })
            }
            Ok(Err(error)) if error.is_connect() => Err(ProxyError::Unavailable {
                upstream: upstream.name,
                cause: error_chain(&error),
            }),
            Ok(Err(error)) => Err(ProxyError::BadGateway {
                upstream: upstream.name,
                cause: error_chain(&error),
            }),
        }
    }

    /// `body`, cut off with an error at `max_body` bytes; `cut` tells afterwards whether it
    /// was. Over HTTP/2 the error does not come back with the answer (the stream is reset and
    /// the upstream's reaction is what returns), so the flag is how a 413 is told from a 502.
    fn limited(body: Body, limit: usize, cut: Arc<AtomicBool>) -> UpstreamBody {
        Limited::new(body, limit)
            .map_err(move |e| {
                if e.is::<LengthLimitError>() {
                    cut.store(true, Ordering::Release);
                }
                e
            })
            .boxed_unsync()
    }

    /// The upstream's own liveness, for the gateway's `/readyz`.
    pub async fn healthz(&self, upstream: &Upstream) -> Result<(), String> {
        let uri = upstream.uri_for("/healthz").map_err(|e| e.to_string())?;
        let request = Request::get(uri)
            .version(Version::HTTP_2)
            .body(Self::limited(Body::empty(), self.max_body, Arc::default()))
            .map_err(|e| e.to_string())?;
        let response = self
            .send(upstream, request, self.max_body)
            .await
            .map_err(|e| e.to_string())?;
        if response.status().is_success() {
            Ok(())
        } else {
            Err(format!("healthz answered {}", response.status()))
        }
    }
}

fn declared_length(request: &Request) -> Option<u64> {
    request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// The protocol a client asks to upgrade to, when it does (`Connection: upgrade` and `Upgrade`).
fn upgrade_protocol(request: &Request) -> Option<HeaderValue> {
    let asks = request
        .headers()
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|token| token.trim().eq_ignore_ascii_case("upgrade"));
    asks.then(|| request.headers().get(header::UPGRADE).cloned())
        .flatten()
}

/// Whether the request failed because the client's streamed body went over the limit; the
/// error arrives wrapped in hyper's client and body errors.
fn caused_by_body_limit(error: &(dyn std::error::Error + 'static)) -> bool {
    let mut current = Some(error);
    while let Some(error) = current {
        if error.is::<LengthLimitError>() {
            return true;
        }
        current = error.source();
    }
    false
}

fn error_chain(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut current = error.source();
    while let Some(cause) = current {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        current = cause.source();
    }
    text
}
