//! A `graphql-transport-ws` client for subscription tests.

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

pub struct WsClient {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
}

impl WsClient {
    pub async fn connect(addr: std::net::SocketAddr) -> Self {
        let mut request = format!("ws://{addr}/graphql")
            .into_client_request()
            .expect("request");
        request.headers_mut().insert(
            "Sec-WebSocket-Protocol",
            "graphql-transport-ws".parse().expect("header"),
        );
        let (mut stream, _) = tokio_tungstenite::connect_async(request)
            .await
            .expect("websocket");
        let init = json!({"type": "connection_init"}).to_string();
        stream.send(Message::Text(init.into())).await.expect("init");
        let mut client = Self { stream };
        let ack = client
            .next_json(Duration::from_secs(10))
            .await
            .expect("ack");
        assert_eq!(ack["type"], "connection_ack", "{ack}");
        client
    }

    pub async fn subscribe(&mut self, id: &str, query: &str, variables: Value) {
        let message = json!({"id": id, "type": "subscribe", "payload": {"query": query, "variables": variables}});
        self.stream
            .send(Message::Text(message.to_string().into()))
            .await
            .expect("subscribe");
    }

    /// The next JSON message within `timeout`, skipping pings.
    pub async fn next_json(&mut self, timeout: Duration) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let message = tokio::time::timeout_at(deadline, self.stream.next())
                .await
                .ok()??
                .ok()?;
            if let Message::Text(text) = message {
                let value: Value = serde_json::from_str(&text).ok()?;
                if value["type"] == "ping" {
                    let pong = json!({"type": "pong"}).to_string();
                    let _ = self.stream.send(Message::Text(pong.into())).await;
                    continue;
                }
                return Some(value);
            }
        }
    }
}
