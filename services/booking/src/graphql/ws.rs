//! GraphQL over WebSocket with the same limits as HTTP (ADR 0503).
//!
//! The gateway counts the upgrade as one request and then splices bytes; everything after
//! that is limited here, where the frames are understood: messages per second per connection
//! and per client, operations running per connection, open connections per client, the cost
//! budget for every operation, and a deadline for `connection_init`. Each client message is
//! parsed once: the reader checks it and hands the parsed message (its GraphQL document
//! included) to async-graphql's protocol machine.

use std::collections::{HashMap, HashSet};
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_graphql::http::{ClientMessage, WebSocket as Protocol, WebSocketProtocols, WsMessage};
use async_graphql::{Data, Executor};
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::extract::{FromRequestParts, Request};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use futures::stream::BoxStream;
use futures::{SinkExt, StreamExt};
use tokio::sync::mpsc;

use super::budget::{Budget, Refusal};
use super::errors::{RATE_LIMITED, assign_codes, sanitize};
use super::{AppState, Auth, BookingSchema, authenticate, error_response, per_request_data};
use crate::clients::CinemaClient;

/// graphql-transport-ws close codes.
const CLOSE_INIT_TIMEOUT: u16 = 4408;
const CLOSE_TOO_MANY_MESSAGES: u16 = 4429;
/// How long a closing socket waits for the client's close frame.
const DRAIN: Duration = Duration::from_secs(1);

/// The header the gateway sets to the client's address as it determined it (the TCP peer, or
/// the trusted `x-forwarded-for` entry); it replaces whatever a client sent.
const CLIENT_IP: &str = "x-client-ip";

#[derive(Debug, Clone, Copy)]
pub struct SocketLimits {
    pub messages_per_sec: u32,
    pub client_messages_per_sec: u32,
    pub max_operations: usize,
    pub max_connections_per_client: usize,
    pub init_timeout: Duration,
}

/// A token bucket: `rate` tokens a second, holding at most one second's worth.
#[derive(Debug, Clone)]
pub struct Bucket {
    rate: f64,
    tokens: f64,
    at: Instant,
}

impl Bucket {
    pub fn new(rate: u32, now: Instant) -> Self {
        let rate = f64::from(rate.max(1));
        Self {
            rate,
            tokens: rate,
            at: now,
        }
    }

    /// Takes one token if there is one at `now`.
    pub fn take(&mut self, now: Instant) -> bool {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * self.rate).min(self.rate);
        self.at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

struct Client {
    connections: usize,
    messages: Bucket,
}

/// Every client with an open socket on this instance: its connections and message budget.
/// An entry goes when its last connection does, so the map is bounded by open sockets.
#[derive(Default)]
pub struct Clients {
    open: Mutex<HashMap<String, Client>>,
}

/// One open connection, counted against its client until dropped.
pub struct Permit {
    clients: Arc<Clients>,
    key: String,
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut open = self.clients.open.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(client) = open.get_mut(&self.key) {
            client.connections = client.connections.saturating_sub(1);
            if client.connections == 0 {
                open.remove(&self.key);
            }
        }
    }
}

impl Clients {
    /// A permit for one more connection of `key`, unless it has `max` open already.
    pub fn connect(self: &Arc<Self>, key: &str, max: usize, rate: u32) -> Option<Permit> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let client = open.entry(key.to_owned()).or_insert_with(|| Client {
            connections: 0,
            messages: Bucket::new(rate, Instant::now()),
        });
        if client.connections >= max {
            return None;
        }
        client.connections += 1;
        Some(Permit {
            clients: self.clone(),
            key: key.to_owned(),
        })
    }

    fn take_message(&self, key: &str, now: Instant) -> bool {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        open.get_mut(key)
            .is_none_or(|client| client.messages.take(now))
    }
}

/// Who a socket belongs to for the per-client limits: the user its upgrade request's token
/// names, else the client address the gateway vouches for. Without either (a caller that
/// reached booking directly) all such sockets share one key.
fn client_key(headers: &HeaderMap, auth: &Auth) -> String {
    if let Some(caller) = &auth.caller {
        return format!("user:{}", caller.user_id);
    }
    match headers.get(CLIENT_IP).and_then(|v| v.to_str().ok()) {
        Some(ip) => format!("ip:{ip}"),
        None => "direct".into(),
    }
}

/// Everything a socket's tasks share.
#[derive(Clone)]
pub struct Sockets {
    pub limits: SocketLimits,
    pub clients: Arc<Clients>,
}

pub async fn upgrade(app: AppState, request: Request) -> Response {
    let (mut parts, _body) = request.into_parts();
    let protocol = parts
        .headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)
        .and_then(|v| v.to_str().ok())
        .and_then(|offered| {
            offered
                .split(',')
                .find_map(|p| WebSocketProtocols::from_str(p.trim()).ok())
        });
    let Some(protocol) = protocol else {
        return StatusCode::BAD_REQUEST.into_response();
    };
    let upgrade = match WebSocketUpgrade::from_request_parts(&mut parts, &()).await {
        Ok(upgrade) => upgrade,
        Err(rejection) => return rejection.into_response(),
    };
    let auth = authenticate(&app.verifier, &parts.headers).await;
    let key = client_key(&parts.headers, &auth);
    let limits = app.sockets.limits;
    let Some(permit) = app.sockets.clients.connect(
        &key,
        limits.max_connections_per_client,
        limits.client_messages_per_sec,
    ) else {
        let message = format!(
            "at most {} open sockets per client",
            limits.max_connections_per_client
        );
        return error_response(StatusCode::TOO_MANY_REQUESTS, RATE_LIMITED, &message);
    };
    let request_id = parts
        .headers
        .get(boxoffice_http::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    let connection = Connection {
        app,
        key,
        permit,
        request_id,
        auth,
    };
    upgrade
        .protocols(async_graphql::http::ALL_WEBSOCKET_PROTOCOLS)
        .on_upgrade(move |socket| connection.serve(socket, protocol))
}

struct Connection {
    app: AppState,
    key: String,
    /// Held for as long as the socket is open.
    permit: Permit,
    request_id: String,
    auth: Auth,
}

/// What the reader tells the writer besides forwarding messages.
type Replies = mpsc::Sender<Message>;

impl Connection {
    async fn serve(self, socket: WebSocket, protocol: WebSocketProtocols) {
        let (mut sink, stream) = socket.split();
        // Small buffers: a client sending faster than the executor takes messages waits.
        let (to_protocol, from_reader) = mpsc::channel(8);
        let (replies, mut replies_rx) = mpsc::channel(8);
        let operations = Arc::new(Mutex::new(HashSet::new()));
        let signed_in = Arc::new(std::sync::atomic::AtomicBool::new(
            self.auth.caller.is_some(),
        ));
        let executor = SocketExecutor {
            schema: self.app.schema.clone(),
            cinema: self.app.cinema.clone(),
            request_id: Arc::from(self.request_id.as_str()),
        };
        let mut data = Data::default();
        data.insert(self.auth.clone());
        let verifier = self.app.verifier.clone();
        let init_signed_in = signed_in.clone();
        let on_init = move |payload: serde_json::Value| async move {
            let mut data = Data::default();
            if let Some(auth) = init_auth(&verifier, &payload).await {
                init_signed_in.store(true, std::sync::atomic::Ordering::Release);
                data.insert(auth);
            }
            Ok::<_, async_graphql::Error>(data)
        };
        let machine = Protocol::from_message_stream(
            executor,
            tokio_stream::wrappers::ReceiverStream::new(from_reader),
            protocol,
        )
        .connection_data(data)
        .on_connection_init(on_init);
        let reader = Reader {
            sockets: self.app.sockets.clone(),
            budget: self.app.budget.clone(),
            key: self.key.clone(),
            operations: operations.clone(),
            signed_in,
            replies,
            to_protocol,
        };
        let mut reader = tokio::spawn(reader.run(stream));
        futures::pin_mut!(machine);
        loop {
            let outgoing = tokio::select! {
                message = machine.next() => match message {
                    Some(WsMessage::Text(text)) => {
                        finished(&text, &operations);
                        Message::Text(text.into())
                    }
                    Some(WsMessage::Close(code, reason)) => close(code, &reason),
                    None => break,
                },
                Some(reply) = replies_rx.recv() => reply,
            };
            let closing = matches!(outgoing, Message::Close(_));
            if sink.send(outgoing).await.is_err() {
                break;
            }
            if closing {
                // The reader drains until the client's close frame; the socket stays open
                // (both halves) until then.
                let _ = tokio::time::timeout(DRAIN, &mut reader).await;
                break;
            }
        }
        reader.abort();
        drop(self.permit);
    }
}

fn close(code: u16, reason: &str) -> Message {
    Message::Close(Some(CloseFrame {
        code,
        reason: reason.to_owned().into(),
    }))
}

/// An operation the server ended (`complete`, or `error` before it started) no longer counts.
fn finished(text: &str, operations: &Mutex<HashSet<String>>) {
    // Cheap for the common `next` messages: only the two kinds that end an operation are parsed.
    if !(text.starts_with(r#"{"type":"complete""#) || text.starts_with(r#"{"type":"error""#)) {
        return;
    }
    if let Ok(value) = serde_json::from_str::<serde_json::Value>(text)
        && let Some(id) = value["id"].as_str()
    {
        operations
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .remove(id);
    }
}

/// A bearer token in the `connection_init` payload (`{"Authorization": "Bearer …"}`, any
/// case): browsers cannot set headers on a WebSocket.
async fn init_auth(
    verifier: &boxoffice_auth::Verifier,
    payload: &serde_json::Value,
) -> Option<Auth> {
    let value = payload.as_object()?.iter().find_map(|(k, v)| {
        k.eq_ignore_ascii_case("authorization")
            .then(|| v.as_str())
            .flatten()
    })?;
    let mut headers = HeaderMap::new();
    headers.insert(header::AUTHORIZATION, value.parse().ok()?);
    let auth = authenticate(verifier, &headers).await;
    auth.caller.is_some().then_some(auth)
}

struct Reader {
    sockets: Sockets,
    budget: Budget,
    key: String,
    operations: Arc<Mutex<HashSet<String>>>,
    signed_in: Arc<std::sync::atomic::AtomicBool>,
    replies: Replies,
    to_protocol: mpsc::Sender<serde_json::Result<ClientMessage>>,
}

impl Reader {
    async fn run(self, mut stream: futures::stream::SplitStream<WebSocket>) {
        let limits = self.sockets.limits;
        let deadline = tokio::time::Instant::now() + limits.init_timeout;
        let mut initialised = false;
        let mut own = Bucket::new(limits.messages_per_sec, Instant::now());
        loop {
            let next = if initialised {
                stream.next().await
            } else {
                match tokio::time::timeout_at(deadline, stream.next()).await {
                    Ok(next) => next,
                    Err(_) => {
                        let reason = "Connection initialisation timeout";
                        let _ = self.replies.send(close(CLOSE_INIT_TIMEOUT, reason)).await;
                        return drain(stream).await;
                    }
                }
            };
            let bytes = match next {
                Some(Ok(Message::Text(text))) => axum::body::Bytes::from(text),
                Some(Ok(Message::Binary(bytes))) => bytes,
                // Pings are answered by the WebSocket layer, but they still count.
                Some(Ok(Message::Ping(_) | Message::Pong(_))) => axum::body::Bytes::new(),
                Some(Ok(Message::Close(_)) | Err(_)) | None => return,
            };
            let now = Instant::now();
            if !own.take(now) || !self.sockets.clients.take_message(&self.key, now) {
                let reason = "too many messages";
                let _ = self
                    .replies
                    .send(close(CLOSE_TOO_MANY_MESSAGES, reason))
                    .await;
                return drain(stream).await;
            }
            if bytes.is_empty() {
                continue;
            }
            let message = match ClientMessage::from_bytes(&bytes) {
                Ok(ClientMessage::ConnectionInit { payload }) => {
                    initialised = true;
                    Ok(ClientMessage::ConnectionInit { payload })
                }
                Ok(ClientMessage::Start { id, mut payload }) => {
                    if let Err(refusal) = self.admit(&id, &mut payload) {
                        let _ = self.replies.send(error_message(&id, &refusal)).await;
                        continue;
                    }
                    Ok(ClientMessage::Start { id, payload })
                }
                Ok(ClientMessage::Stop { id }) => {
                    self.operations
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .remove(&id);
                    Ok(ClientMessage::Stop { id })
                }
                other => other,
            };
            if self.to_protocol.send(message).await.is_err() {
                return;
            }
        }
    }

    /// One more operation on this socket, if it has room and the operation is within the
    /// caller's budget.
    fn admit(&self, id: &str, request: &mut async_graphql::Request) -> Result<(), Refusal> {
        let max = self.sockets.limits.max_operations;
        let mut operations = self.operations.lock().unwrap_or_else(|p| p.into_inner());
        if operations.len() >= max && !operations.contains(id) {
            return Err(Refusal {
                code: RATE_LIMITED,
                message: format!("at most {max} subscriptions at a time on one socket"),
            });
        }
        let signed_in = self.signed_in.load(std::sync::atomic::Ordering::Acquire);
        self.budget.check(request, signed_in)?;
        operations.insert(id.to_owned());
        Ok(())
    }
}

/// After our close frame, reads (and drops) what the client still sends until its own close
/// frame, for at most [`DRAIN`]: closing a TCP socket with unread data resets it, and the
/// client would lose the close code with it.
async fn drain(mut stream: futures::stream::SplitStream<WebSocket>) {
    let _ = tokio::time::timeout(DRAIN, async {
        while let Some(Ok(message)) = stream.next().await {
            if matches!(message, Message::Close(_)) {
                break;
            }
        }
    })
    .await;
}

/// The graphql-transport-ws `error` message for an operation that was not started.
fn error_message(id: &str, refusal: &Refusal) -> Message {
    let message = serde_json::json!({
        "id": id,
        "type": "error",
        "payload": [{"message": refusal.message, "extensions": {"code": refusal.code}}],
    });
    Message::Text(message.to_string().into())
}

/// The schema, with what each operation needs (loaders, a seat-map memo) and with its errors
/// coded and sanitised as on HTTP.
#[derive(Clone)]
struct SocketExecutor {
    schema: BookingSchema,
    cinema: Arc<CinemaClient>,
    request_id: Arc<str>,
}

impl Executor for SocketExecutor {
    async fn execute(&self, request: async_graphql::Request) -> async_graphql::Response {
        let request = per_request_data(request, &self.cinema);
        let mut response = self.schema.execute(request).await;
        assign_codes(&mut response.errors);
        sanitize(&mut response.errors, &self.request_id);
        response
    }

    fn execute_stream(
        &self,
        request: async_graphql::Request,
        session_data: Option<Arc<Data>>,
    ) -> BoxStream<'static, async_graphql::Response> {
        let request = per_request_data(request, &self.cinema);
        let request_id = self.request_id.clone();
        self.schema
            .execute_stream_with_session_data(request, session_data.unwrap_or_default())
            .map(move |mut response| {
                assign_codes(&mut response.errors);
                sanitize(&mut response.errors, &request_id);
                response
            })
            .boxed()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bucket_gives_a_second_s_worth_at_once_then_refills_evenly() {
        let start = Instant::now();
        let mut bucket = Bucket::new(10, start);
        assert_eq!((0..20).filter(|_| bucket.take(start)).count(), 10);
        assert!(!bucket.take(start + Duration::from_millis(50)));
        assert!(bucket.take(start + Duration::from_millis(120)));
        assert_eq!(
            (0..20)
                .filter(|_| bucket.take(start + Duration::from_secs(10)))
                .count(),
            10,
            "never more than one second's worth"
        );
    }

    #[test]
    fn connections_per_client_are_capped_and_released() {
        let clients = Arc::new(Clients::default());
        let a = clients.connect("ip:1", 2, 10).expect("first");
        let _b = clients.connect("ip:1", 2, 10).expect("second");
        assert!(clients.connect("ip:1", 2, 10).is_none());
        assert!(clients.connect("ip:2", 2, 10).is_some(), "another client");
        drop(a);
        assert!(clients.connect("ip:1", 2, 10).is_some());
    }

    #[test]
    fn the_client_key_prefers_the_user_then_the_gateway_s_client_address() {
        let mut headers = HeaderMap::new();
        assert_eq!(client_key(&headers, &Auth::default()), "direct");
        headers.insert(CLIENT_IP, "10.0.0.7".parse().expect("header"));
        assert_eq!(client_key(&headers, &Auth::default()), "ip:10.0.0.7");
    }

    #[test]
    fn only_complete_and_error_messages_end_an_operation() {
        let operations = Mutex::new(HashSet::from(["1".to_owned(), "2".to_owned()]));
        finished(r#"{"type":"next","id":"1","payload":{}}"#, &operations);
        finished(r#"{"type":"complete","id":"2"}"#, &operations);
        assert_eq!(
            *operations.lock().expect("lock"),
            HashSet::from(["1".to_owned()])
        );
    }
}
