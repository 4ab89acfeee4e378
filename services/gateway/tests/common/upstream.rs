//! Small real HTTP servers standing in for users, cinema and booking.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::ws::{Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get};
use boxoffice_http::CancellationToken;
use futures::SinkExt;
use serde_json::{Value, json};
use tokio::net::TcpListener;
use tokio::sync::Notify;

#[derive(Clone)]
struct UpstreamState {
    name: &'static str,
    hits: Arc<AtomicUsize>,
    release: Arc<Notify>,
}

/// A running fake upstream. Every route except `/healthz` counts as a hit.
pub struct FakeUpstream {
    pub addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    /// Lets `/api/v1/users/chunks` send its second chunk.
    pub release: Arc<Notify>,
    shutdown: CancellationToken,
}

impl Drop for FakeUpstream {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl FakeUpstream {
    pub async fn spawn(name: &'static str) -> Self {
        let state = UpstreamState {
            name,
            hits: Arc::new(AtomicUsize::new(0)),
            release: Arc::new(Notify::new()),
        };
        let app = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/graphql", any(graphql))
            .route("/api/v1/users/stream-echo", any(stream_echo))
            .route("/api/v1/users/chunks", get(chunks))
            .route("/api/v1/users/slow", any(slow))
            .route("/api/v1/users/upload", any(upload))
            .route("/api/v1/admin/movies/{id}/poster", any(upload))
            .fallback(echo)
            .with_state(state.clone());
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let shutdown = CancellationToken::new();
        let stop = shutdown.clone();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move { stop.cancelled().await })
                .await
        });
        Self {
            addr,
            hits: state.hits,
            release: state.release,
            shutdown,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn hits(&self) -> usize {
        self.hits.load(Ordering::SeqCst)
    }
}

/// Answers with what it received: the service name, method, URI and headers.
async fn echo(State(state): State<UpstreamState>, request: Request) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    axum::Json(describe(state.name, &request)).into_response()
}

fn describe(service: &str, request: &Request) -> Value {
    let headers: BTreeMap<String, String> = request
        .headers()
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    json!({
        "service": service,
        "method": request.method().as_str(),
        // The path and query as sent: over HTTP/2 the URI also carries scheme and authority.
        "uri": request.uri().path_and_query().map_or("/", |p| p.as_str()),
        "headers": headers,
        "version": format!("{:?}", request.version()),
    })
}

/// GraphQL stand-in: WebSocket upgrades speak `graphql-transport-ws` and echo; plain HTTP echoes.
async fn graphql(State(state): State<UpstreamState>, request: Request) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let described = describe(state.name, &request);
    let (mut parts, _) = request.into_parts();
    match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade
            .protocols(["graphql-transport-ws"])
            .on_upgrade(move |socket| ws_echo(socket, described)),
        Err(_) => axum::Json(described).into_response(),
    }
}

/// Says hello first (server → client without a prompt), sending the handshake it saw, then
/// echoes every text message.
async fn ws_echo(mut socket: WebSocket, handshake: Value) {
    let hello = json!({"type": "hello", "handshake": handshake}).to_string();
    if socket.send(Message::Text(hello.into())).await.is_err() {
        return;
    }
    while let Some(Ok(message)) = socket.recv().await {
        match message {
            Message::Text(text) => {
                let reply = json!({"type": "echo", "payload": text.as_str()}).to_string();
                if socket.send(Message::Text(reply.into())).await.is_err() {
                    return;
                }
            }
            Message::Close(_) => return,
            _ => {}
        }
    }
}

/// The request body, streamed straight back as the response body.
async fn stream_echo(State(state): State<UpstreamState>, request: Request) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    Response::new(Body::new(request.into_body()))
}

/// "first", then nothing until the test releases it, then "second": a gateway that buffers
/// would never deliver "first" before the release.
async fn chunks(State(state): State<UpstreamState>) -> Response {
    state.hits.fetch_add(1, Ordering::SeqCst);
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    tokio::spawn(async move {
        let _ = tx.send(Ok(Bytes::from_static(b"first"))).await;
        state.release.notified().await;
        let _ = tx.send(Ok(Bytes::from_static(b"second"))).await;
    });
    Response::new(Body::from_stream(rx))
}

/// Never answers.
async fn slow(State(state): State<UpstreamState>) -> StatusCode {
    state.hits.fetch_add(1, Ordering::SeqCst);
    std::future::pending::<()>().await;
    StatusCode::OK
}

/// Reads the whole body before answering, as a JSON API does.
async fn upload(State(state): State<UpstreamState>, body: Bytes) -> axum::Json<Value> {
    state.hits.fetch_add(1, Ordering::SeqCst);
    axum::Json(json!({"received": body.len()}))
}
