use std::time::Duration;

use axum::Router;
use axum::routing::get;
use boxoffice_http::{CancellationToken, serve};
use tokio::net::TcpListener;

async fn slow() -> &'static str {
    tokio::time::sleep(Duration::from_millis(300)).await;
    "finished"
}

#[tokio::test]
async fn in_flight_requests_finish_after_shutdown_begins_and_new_ones_are_refused() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(serve(
        listener,
        Router::new().route("/slow", get(slow)),
        shutdown.clone(),
        Duration::from_secs(5),
        boxoffice_http::ServerSettings::default(),
    ));

    let client = reqwest::Client::new();
    let in_flight = tokio::spawn({
        let client = client.clone();
        async move {
            client
                .get(format!("http://{addr}/slow"))
                .send()
                .await?
                .text()
                .await
        }
    });
    // Let the request reach the handler before shutting down.
    tokio::time::sleep(Duration::from_millis(100)).await;
    shutdown.cancel();

    assert_eq!(
        in_flight.await.expect("join").expect("response"),
        "finished"
    );
    server.await.expect("join").expect("serve");
    assert!(
        client
            .get(format!("http://{addr}/slow"))
            .send()
            .await
            .is_err()
    );
}

#[tokio::test]
async fn serve_returns_when_the_grace_period_is_over_even_with_a_stuck_request() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let shutdown = CancellationToken::new();
    let app = Router::new().route(
        "/stuck",
        get(|| async {
            tokio::time::sleep(Duration::from_secs(60)).await;
            "never"
        }),
    );
    let server = tokio::spawn(serve(
        listener,
        app,
        shutdown.clone(),
        Duration::from_millis(200),
        boxoffice_http::ServerSettings::default(),
    ));
    let stuck = tokio::spawn(async move { reqwest::get(format!("http://{addr}/stuck")).await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    shutdown.cancel();
    let finished = tokio::time::timeout(Duration::from_secs(5), server).await;
    assert!(
        finished.is_ok(),
        "serve must return once the grace period is over"
    );
    // The connection itself dies with the process, which exits once every server has returned.
    stuck.abort();
}
