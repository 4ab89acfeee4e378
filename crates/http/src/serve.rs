//! Serving a router with graceful shutdown and per-listener connection limits.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, mpsc};
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

use crate::connection::{Activity, Expired, Guarded};
use crate::server_settings::ServerSettings;

/// HTTP/2 streams one connection may have open at once. The gateway sends every request for
/// an upstream over one HTTP/2 connection, so this is that upstream's concurrency: at hyper's
/// default of 200, the 500 customers of a rush queued in the gateway and seat-map reads
/// waited behind bookings (seat map p50 from 25 to 360 ms).
const MAX_CONCURRENT_STREAMS: u32 = 1024;

/// HTTP/2 pings: a peer that stops answering (its host died, a NAT forgot the flow) is
/// noticed within interval + timeout instead of holding its connection forever.
const H2_KEEP_ALIVE_INTERVAL: Duration = Duration::from_secs(20);
const H2_KEEP_ALIVE_TIMEOUT: Duration = Duration::from_secs(20);

/// Connections over the cap that may be waiting for their 503 at once; beyond it they are
/// closed without an answer, so a flood cannot turn the answers into a resource of its own.
const MAX_REJECTING: usize = 256;
/// How long an over-cap connection gets to receive its 503.
const REJECT_TIME: Duration = Duration::from_secs(2);

/// Serves `app` on `listener` (HTTP/1.1, and HTTP/2 without TLS for clients that speak it,
/// such as the gateway and gRPC clients) with the limits of `limits`, until `shutdown` is
/// cancelled; then stops accepting connections and gives in-flight requests up to `grace`
/// to finish before returning. Connections still open after that are left to die with the
/// process, which exits once its servers have returned.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
    grace: Duration,
    limits: ServerSettings,
) -> io::Result<()> {
    let mut task = tokio::spawn(accept(listener, app, shutdown.clone(), limits));

    tokio::select! {
        joined = &mut task => return flatten(joined),
        () = shutdown.cancelled() => {}
    }
    match tokio::time::timeout(grace, &mut task).await {
        Ok(joined) => flatten(joined),
        Err(_) => {
            tracing::warn!(
                grace_ms = grace.as_millis() as u64,
                "in-flight requests cut off after the shutdown grace period"
            );
            task.abort();
            Ok(())
        }
    }
}

fn builder(limits: &ServerSettings) -> Builder<TokioExecutor> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        // Also re-armed after every answer: an idle keep-alive connection waits at most this
        // long for its next request.
        .header_read_timeout(limits.header_timeout());
    builder
        .http2()
        .timer(TokioTimer::new())
        .keep_alive_interval(H2_KEEP_ALIVE_INTERVAL)
        .keep_alive_timeout(H2_KEEP_ALIVE_TIMEOUT)
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        // WebSockets over HTTP/2 (RFC 8441), as axum offers them.
        .enable_connect_protocol();
    builder
}

/// Accepts connections until `shutdown`, then asks every open one to finish its requests and
/// close, and waits for them.
async fn accept(
    listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
    limits: ServerSettings,
) -> io::Result<()> {
    let builder = Arc::new(builder(&limits));
    let slots = Arc::new(Semaphore::new(limits.max_connections()));
    let rejecting = Arc::new(Semaphore::new(MAX_REJECTING));
    let listen_addr = listener
        .local_addr()
        .map_or_else(|_| "unknown".to_owned(), |a| a.to_string());
    // Registered at 0, so that the first refusal shows as an increase.
    metrics::counter!("boxoffice_http_connections_rejected_total", "listener" => listen_addr.clone())
        .increment(0);
    // Every connection task holds a sender; when all are gone, every connection has ended.
    let (open_tx, mut open_rx) = mpsc::channel::<Infallible>(1);
    loop {
        let (stream, remote) = tokio::select! {
            () = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                // A connection that died before it was accepted: only that one is lost.
                Err(e) if is_connection_error(&e) => continue,
                Err(e) => {
                    // Out of file descriptors, say: the listener itself is fine, so keep
                    // serving after a breath instead of spinning.
                    tracing::warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let Ok(permit) = slots.clone().try_acquire_owned() else {
            metrics::counter!("boxoffice_http_connections_rejected_total", "listener" => listen_addr.clone())
                .increment(1);
            if let Ok(turn) = rejecting.clone().try_acquire_owned() {
                tokio::spawn(async move {
                    reject_over_capacity(stream).await;
                    drop(turn);
                });
            }
            continue;
        };
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let connection = Connection {
            io: Guarded::new(stream, permit),
            remote,
            app: app.clone(),
            builder: builder.clone(),
            limits,
            shutdown: shutdown.clone(),
        };
        let open = open_tx.clone();
        tokio::spawn(async move {
            connection.run().await;
            drop(open);
        });
    }
    drop(listener);
    drop(open_tx);
    // Resolves once every connection task has dropped its sender.
    let _ = open_rx.recv().await;
    Ok(())
}

struct Connection {
    io: Guarded,
    remote: SocketAddr,
    app: Router,
    builder: Arc<Builder<TokioExecutor>>,
    limits: ServerSettings,
    shutdown: CancellationToken,
}

impl Connection {
    /// Serves the connection until the client closes it, it outstays the limits (no request
    /// within the header timeout: dropped; idle: closed gracefully), or the server shuts down
    /// (closed gracefully, in-flight requests finish).
    async fn run(self) {
        let activity = Activity::new();
        let (app, remote) = (self.app, self.remote);
        let tracked = activity.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            let in_flight = tracked.request_started();
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            let app = app.clone();
            async move {
                let response = app.oneshot(request.map(Body::new)).await;
                drop(in_flight);
                response
            }
        });
        let connection = self
            .builder
            .serve_connection_with_upgrades(TokioIo::new(self.io), service);
        tokio::pin!(connection);
        let expired = activity.expired(self.limits.header_timeout(), self.limits.idle_timeout());
        tokio::pin!(expired);
        let mut closing = false;
        loop {
            tokio::select! {
                ended = connection.as_mut() => {
                    if let Err(e) = ended {
                        tracing::trace!(error = %e, "connection ended with an error");
                    }
                    return;
                }
                () = self.shutdown.cancelled(), if !closing => {
                    connection.as_mut().graceful_shutdown();
                    closing = true;
                }
                why = &mut expired, if !closing => match why {
                    Expired::NoRequest => {
                        metrics::counter!("boxoffice_http_connections_timed_out_total").increment(1);
                        return;
                    }
                    Expired::Idle => {
                        connection.as_mut().graceful_shutdown();
                        closing = true;
                    }
                },
            }
        }
    }
}

/// The answer to a connection over the listener's cap: 503 problem+json, then close.
async fn reject_over_capacity(mut stream: TcpStream) {
    // Written by hand: no request was read, so there is no router to answer it. The shape
    // is `Problem`'s, code `too_many_connections`.
    const BODY: &str = concat!(
        r#"{"type":"urn:boxoffice:problem:too_many_connections","title":"Too many connections","#,
        r#""status":503,"detail":"the server is at its connection limit; retry shortly","#,
        r#""code":"too_many_connections"}"#
    );
    let answer = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/problem+json\r\n\
         retry-after: 1\r\nconnection: close\r\ncontent-length: {}\r\n\r\n{BODY}",
        BODY.len()
    );
    let _ = tokio::time::timeout(REJECT_TIME, async {
        stream.write_all(answer.as_bytes()).await?;
        stream.shutdown().await?;
        // Read what the client sent, so that closing does not reset the answer away.
        let mut scratch = [0u8; 4096];
        while stream.read(&mut scratch).await? > 0 {}
        io::Result::Ok(())
    })
    .await;
}

fn is_connection_error(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::ConnectionReset
    )
}

fn flatten(joined: Result<io::Result<()>, tokio::task::JoinError>) -> io::Result<()> {
    joined.map_err(io::Error::other)?
}

/// Resolves on Ctrl-C or SIGTERM, whichever comes first.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if let Err(e) = tokio::signal::ctrl_c().await {
            tracing::error!(error = %e, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(e) => {
                tracing::error!(error = %e, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}
