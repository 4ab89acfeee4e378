//! Byte-level tunnels for upgraded connections (WebSocket `graphql-transport-ws`).
//!
//! The gateway forwards the upgrade handshake as an ordinary request and, once the upstream
//! answers 101, splices the two upgraded connections together. Frames are not parsed, so
//! subprotocols, pings and close codes pass untouched and the upstream alone negotiates them.

use boxoffice_http::CancellationToken;
use hyper::upgrade::OnUpgrade;
use hyper_util::rt::TokioIo;
use tracing::Instrument;

pub fn spawn(
    client: OnUpgrade,
    upstream: OnUpgrade,
    upstream_name: &'static str,
    shutdown: CancellationToken,
) {
    let task = async move {
        let (client, upstream) = match tokio::try_join!(client, upstream) {
            Ok(pair) => pair,
            Err(error) => {
                tracing::warn!(%error, upstream = upstream_name, "connection upgrade failed");
                return;
            }
        };
        let mut client = TokioIo::new(client);
        let mut upstream = TokioIo::new(upstream);
        let open = metrics::gauge!("boxoffice_gateway_open_tunnels", "upstream" => upstream_name);
        open.increment(1.0);
        // Tunnels outlive the request, so the server's graceful shutdown does not wait for
        // them: they are closed when the gateway shuts down.
        tokio::select! {
            result = tokio::io::copy_bidirectional(&mut client, &mut upstream) => match result {
                Ok((sent, received)) => tracing::debug!(sent, received, "tunnel closed"),
                Err(error) => tracing::debug!(%error, "tunnel ended with an error"),
            },
            () = shutdown.cancelled() => tracing::debug!("tunnel closed by shutdown"),
        }
        open.decrement(1.0);
    };
    tokio::spawn(task.instrument(tracing::Span::current()));
}
