//! `boxoffice healthcheck`, the containers' probe, against real listeners: the exit status is
//! all Docker and Kubernetes look at.

use std::net::SocketAddr;
use std::process::Output;
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// A listener that answers every request with `status_line` (or never answers, with `None`).
async fn listener(status_line: Option<&'static str>) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((mut socket, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut request = [0u8; 1024];
                let _ = socket.read(&mut request).await;
                match status_line {
                    Some(status) => {
                        let response = format!(
                            "HTTP/1.1 {status}\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{{}}"
                        );
                        let _ = socket.write_all(response.as_bytes()).await;
                    }
                    // Holds the connection open without a word, like a wedged process.
                    None => tokio::time::sleep(Duration::from_secs(30)).await,
                }
            });
        }
    });
    addr
}

async fn probe(url: String, extra: &[&str]) -> Output {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_boxoffice"));
    command
        .args(["healthcheck", "--url", &url])
        .args(extra)
        // Nothing of the probed service's environment may be needed.
        .env_remove("BOXOFFICE_HEALTHCHECK_URL")
        .current_dir(std::env::temp_dir());
    command.output().await.expect("run boxoffice healthcheck")
}

#[tokio::test]
async fn healthcheck_exits_zero_when_the_url_answers_2xx() {
    let addr = listener(Some("200 OK")).await;
    let output = probe(format!("http://{addr}/healthz"), &[]).await;
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test]
async fn healthcheck_fails_when_the_url_answers_503() {
    let addr = listener(Some("503 Service Unavailable")).await;
    let output = probe(format!("http://{addr}/readyz"), &[]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("503"), "{stderr}");
}

#[tokio::test]
async fn healthcheck_fails_when_nothing_listens() {
    // Bound then dropped: the port is free, so the connection is refused.
    let addr = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .local_addr()
        .expect("addr");
    let output = probe(format!("http://{addr}/healthz"), &[]).await;
    assert_eq!(output.status.code(), Some(1));
}

#[tokio::test]
async fn healthcheck_gives_up_on_a_silent_listener_after_its_timeout() {
    let addr = listener(None).await;
    let started = Instant::now();
    let output = probe(format!("http://{addr}/healthz"), &["--timeout-ms", "300"]).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("did not answer"), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
}
