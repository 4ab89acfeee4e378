//! A minimal `graphql-transport-ws` client for subscriptions through the gateway.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub struct Subscription {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl Subscription {
    /// Opens `/graphql` as a WebSocket, initialises the connection and subscribes.
    pub async fn open(
        gateway_url: &str,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> Self {
        let url = format!("{}/graphql", gateway_url.replacen("http://", "ws://", 1));
        let mut request = url.into_client_request().expect("request");
        request.headers_mut().insert(
            "sec-websocket-protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (mut stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket connect");
        let init = match token {
            Some(token) => {
                json!({"type": "connection_init", "payload": {"Authorization": format!("Bearer {token}")}})
            }
            None => json!({"type": "connection_init"}),
        };
        stream
            .send(Message::Text(init.to_string().into()))
            .await
            .expect("init");
        loop {
            let message = next_json(&mut stream).await.expect("ack");
            if message["type"] == "connection_ack" {
                break;
            }
        }
        let subscribe = json!({"id": "1", "type": "subscribe", "payload": {"query": query, "variables": variables}});
        stream
            .send(Message::Text(subscribe.to_string().into()))
            .await
            .expect("subscribe");
        Self { stream }
    }

    /// The next `next` payload's data, or None if nothing arrives within `within`.
    pub async fn next_data(&mut self, within: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + within;
        loop {
            let message = tokio::time::timeout_at(deadline, next_json(&mut self.stream))
                .await
                .ok()??;
            match message["type"].as_str() {
                Some("next") => return Some(message["payload"]["data"].clone()),
                Some("error") => panic!("subscription error: {message}"),
                _ => {}
            }
        }
    }
}

async fn next_json(
    stream: &mut tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
) -> Option<Value> {
    while let Some(message) = stream.next().await {
        match message.ok()? {
            Message::Text(text) => return serde_json::from_str(&text).ok(),
            Message::Close(_) => return None,
            _ => {}
        }
    }
    None
}
