//! Serving a router with graceful shutdown.

use std::io;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;
use tower::ServiceExt as _;

/// HTTP/2 streams one connection may have open at once. The gateway sends every request for
/// an upstream over one HTTP/2 connection, so this is that upstream's concurrency: at hyper's
/// default of 200, the 500 customers of a rush queued in the gateway and seat-map reads
/// waited behind bookings (seat map p50 from 25 to 360 ms).
const MAX_CONCURRENT_STREAMS: u32 = 1024;

/// Serves `app` on `listener` (HTTP/1.1, and HTTP/2 without TLS for clients that speak it,
/// such as the gateway) until `shutdown` is cancelled, then stops accepting connections and
/// gives in-flight requests up to `grace` to finish before returning. Connections still open
/// after that are left to die with the process, which exits once its servers have returned.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
    grace: Duration,
) -> io::Result<()> {
    let connections = GracefulShutdown::new();
    let mut task = tokio::spawn(accept(listener, app, shutdown.clone(), connections));

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

/// Accepts connections until `shutdown`, then asks every open one to finish its requests and
/// close, and waits for them.
async fn accept(
    listener: TcpListener,
    app: Router,
    shutdown: CancellationToken,
    connections: GracefulShutdown,
) -> io::Result<()> {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http2()
        .max_concurrent_streams(MAX_CONCURRENT_STREAMS)
        // WebSockets over HTTP/2 (RFC 8441), as axum offers them.
        .enable_connect_protocol();
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
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!(error = %e, "could not set TCP_NODELAY");
        }
        let app = app.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<Incoming>| {
            request
                .extensions_mut()
                .insert(ConnectInfo::<SocketAddr>(remote));
            app.clone().oneshot(request.map(Body::new))
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), service)
            .into_owned();
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::trace!(error = %e, "connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
    Ok(())
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
