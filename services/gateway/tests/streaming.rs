//! Bodies stream through the gateway both ways, and WebSocket upgrades are tunnelled.

mod common;

use std::time::Duration;

use axum::body::{Body, Bytes};
use common::{Backends, send};
use futures::{SinkExt, StreamExt};
use http_body_util::BodyExt;
use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;
use serde_json::Value;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

/// Generous: only a broken gateway (buffering, hanging) gets near it.
const PATIENCE: Duration = Duration::from_secs(10);

async fn next_chunk(body: &mut hyper::body::Incoming) -> Option<Bytes> {
    loop {
        let frame = tokio::time::timeout(PATIENCE, body.frame())
            .await
            .expect("a chunk in time")?
            .expect("frame");
        if let Ok(data) = frame.into_data() {
            return Some(data);
        }
    }
}

#[tokio::test]
async fn response_bodies_stream_chunk_by_chunk() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let request = hyper::Request::get(gateway.url("/api/v1/users/chunks"))
        .body(Body::empty())
        .expect("request");
    let response = tokio::time::timeout(PATIENCE, client.request(request))
        .await
        .expect("headers in time")
        .expect("response");
    assert_eq!(response.status(), 200);
    let mut body = response.into_body();
    // The upstream has not produced "second" yet: "first" can only arrive if it is streamed.
    assert_eq!(next_chunk(&mut body).await.as_deref(), Some(&b"first"[..]));
    backends.users.release.notify_one();
    assert_eq!(next_chunk(&mut body).await.as_deref(), Some(&b"second"[..]));
    assert_eq!(next_chunk(&mut body).await, None);
}

#[tokio::test]
async fn request_bodies_stream_to_the_upstream_while_the_answer_streams_back() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let client = Client::builder(TokioExecutor::new()).build_http::<Body>();
    let (mut tx, rx) = futures::channel::mpsc::channel::<Result<Bytes, std::io::Error>>(4);
    let request = hyper::Request::post(gateway.url("/api/v1/users/stream-echo"))
        .body(Body::from_stream(rx))
        .expect("request");
    tx.send(Ok(Bytes::from_static(b"one"))).await.expect("send");
    let response = tokio::time::timeout(PATIENCE, client.request(request))
        .await
        .expect("headers in time")
        .expect("response");
    let mut body = response.into_body();
    // "two" is only sent after "one" came back: the request body is still open.
    assert_eq!(next_chunk(&mut body).await.as_deref(), Some(&b"one"[..]));
    tx.send(Ok(Bytes::from_static(b"two"))).await.expect("send");
    assert_eq!(next_chunk(&mut body).await.as_deref(), Some(&b"two"[..]));
    drop(tx);
    assert_eq!(next_chunk(&mut body).await, None);
}

async fn next_json<S>(socket: &mut S) -> Value
where
    S: futures::Stream<Item = Result<Message, tokio_tungstenite::tungstenite::Error>> + Unpin,
{
    loop {
        let message = tokio::time::timeout(PATIENCE, socket.next())
            .await
            .expect("a message in time")
            .expect("socket open")
            .expect("message");
        if let Message::Text(text) = message {
            return serde_json::from_str(text.as_str()).expect("json message");
        }
    }
}

#[tokio::test]
async fn websocket_subscriptions_are_proxied_both_ways() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let (user, token) = backends.keys.customer();
    let mut request = format!("ws://{}/graphql", gateway.addr)
        .into_client_request()
        .expect("request");
    let headers = request.headers_mut();
    headers.insert(
        "sec-websocket-protocol",
        "graphql-transport-ws".parse().expect("header"),
    );
    headers.insert(
        "authorization",
        format!("Bearer {token}").parse().expect("header"),
    );
    headers.insert("x-user-id", "forged".parse().expect("header"));

    let (mut socket, response) =
        tokio::time::timeout(PATIENCE, tokio_tungstenite::connect_async(request))
            .await
            .expect("handshake in time")
            .expect("handshake");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        "graphql-transport-ws"
    );

    // Upstream → client, unprompted.
    let hello = next_json(&mut socket).await;
    assert_eq!(hello["type"], "hello");
    let handshake = &hello["handshake"];
    assert_eq!(handshake["service"], "booking");
    assert_eq!(handshake["headers"]["x-user-id"], user.to_string());
    assert_eq!(handshake["headers"]["upgrade"], "websocket");

    // Client → upstream → client.
    for payload in [
        r#"{"type":"connection_init"}"#,
        r#"{"type":"subscribe","id":"1"}"#,
    ] {
        socket.send(Message::text(payload)).await.expect("send");
        let echo = next_json(&mut socket).await;
        assert_eq!(echo["type"], "echo");
        assert_eq!(echo["payload"], payload);
    }
    socket.close(None).await.expect("close");
}

#[tokio::test]
async fn a_websocket_handshake_with_a_forged_token_is_refused() {
    let backends = Backends::spawn().await;
    let gateway = backends.gateway().await;
    let mut request = format!("ws://{}/graphql", gateway.addr)
        .into_client_request()
        .expect("request");
    request.headers_mut().insert(
        "authorization",
        format!("Bearer {}", backends.keys.forged())
            .parse()
            .expect("header"),
    );
    match tokio_tungstenite::connect_async(request).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 401);
        }
        other => panic!("expected a 401 handshake, got {other:?}"),
    }
    assert_eq!(backends.booking.hits(), 0);
    // Plain HTTP still works on the same route.
    assert_eq!(send(gateway.get("/graphql")).await.status(), 200);
}
