//! The edges of `boxoffice all` as an attacker meets them, through the gateway's public port
//! of the real binary: connections that never send a request, idle keep-alive connections,
//! more connections than the cap, a client that sends a too-large body whole before reading,
//! `/metrics`, and `bench` leaving the current directory alone.

mod support;

use std::io::{Read as _, Write as _};
use std::net::SocketAddr;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use support::cluster::{Cluster, Deployment};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

fn gateway_addr(cluster: &Cluster) -> SocketAddr {
    cluster
        .gateway_url
        .trim_start_matches("http://")
        .parse()
        .expect("gateway address")
}

/// Whether the server closes `stream` before `deadline` (whatever it writes first).
async fn closed_by(mut stream: TcpStream, deadline: Instant) -> bool {
    let mut scratch = [0u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut scratch)).await {
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => continue,
            Err(_) => return false,
        }
    }
}

/// One keep-alive `GET` on `stream`; returns the status line and body. Reads exactly the
/// answer (by its content-length) so that the connection stays usable.
async fn get(stream: &mut TcpStream, path: &str) -> (String, String) {
    let request = format!("GET {path} HTTP/1.1\r\nHost: boxoffice.test\r\n\r\n");
    stream.write_all(request.as_bytes()).await.expect("write");
    let mut received = Vec::new();
    let mut scratch = [0u8; 4096];
    loop {
        let n = stream.read(&mut scratch).await.expect("read");
        assert!(
            n > 0,
            "closed before answering: {}",
            String::from_utf8_lossy(&received)
        );
        received.extend_from_slice(&scratch[..n]);
        let text = String::from_utf8_lossy(&received).into_owned();
        let Some(end) = text.find("\r\n\r\n") else {
            continue;
        };
        let length = text[..end]
            .lines()
            .find_map(|l| {
                let (name, value) = l.split_once(':')?;
                name.eq_ignore_ascii_case("content-length")
                    .then(|| value.trim().parse::<usize>().ok())?
            })
            .unwrap_or(0);
        if received.len() >= end + 4 + length {
            let status = text.lines().next().unwrap_or_default().to_owned();
            return (status, text[end + 4..].to_owned());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn connections_that_never_finish_their_headers_are_dropped_while_healthz_answers() {
    const HEADERLESS: usize = 1_500;
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[("BOXOFFICE_GATEWAY__SERVER__HEADER_TIMEOUT_MS", "2000")],
    )
    .await;
    let addr = gateway_addr(&cluster);
    let started = Instant::now();
    let mut held = Vec::with_capacity(HEADERLESS);
    for i in 0..HEADERLESS {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        // Half send nothing at all, half the start of a request that never ends.
        if i % 2 == 1 {
            stream
                .write_all(b"GET /healthz HTTP/1.1\r\nHost: boxoffice.test\r\n")
                .await
                .expect("partial headers");
        }
        held.push(stream);
    }
    let health = reqwest::get(format!("{}/healthz", cluster.gateway_url))
        .await
        .expect("healthz while the connections are held");
    assert_eq!(health.status(), 200);

    let deadline = started + Duration::from_secs(45);
    let closed = futures::future::join_all(held.into_iter().map(|s| closed_by(s, deadline))).await;
    let still_open = closed.iter().filter(|closed| !**closed).count();
    assert_eq!(
        still_open, 0,
        "{still_open} of {HEADERLESS} connections still open after 45 s"
    );
    let health = reqwest::get(format!("{}/healthz", cluster.gateway_url))
        .await
        .expect("healthz afterwards");
    assert_eq!(health.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_idle_keep_alive_connection_is_closed_after_the_idle_timeout() {
    // The header timeout stays at its default (15 s, re-armed after every answer): only the
    // idle timeout can close the connection within the bound below.
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[("BOXOFFICE_GATEWAY__SERVER__IDLE_TIMEOUT_MS", "1000")],
    )
    .await;
    let mut stream = TcpStream::connect(gateway_addr(&cluster))
        .await
        .expect("connect");
    let (status, _) = get(&mut stream, "/healthz").await;
    assert!(status.contains(" 200 "), "{status}");
    // Still usable right away: keep-alive works.
    let (status, _) = get(&mut stream, "/healthz").await;
    assert!(status.contains(" 200 "), "{status}");
    let idle_since = Instant::now();
    assert!(
        closed_by(stream, idle_since + Duration::from_secs(8)).await,
        "an idle keep-alive connection was still open after 8 s"
    );
    assert!(
        idle_since.elapsed() >= Duration::from_millis(800),
        "closed before the idle timeout"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_connection_over_the_cap_gets_503_and_a_freed_slot_serves_again() {
    const CAP: usize = 20;
    let cluster = Cluster::start_with(
        Deployment::Embedded,
        &[("BOXOFFICE_GATEWAY__SERVER__MAX_CONNECTIONS", "20")],
    )
    .await;
    let addr = gateway_addr(&cluster);
    let mut held = Vec::new();
    let mut refused = None;
    // Each one is answered before the next opens, so every one holds its slot. (A client of
    // the harness may still hold one for a moment, hence "at most CAP".)
    for _ in 0..=CAP {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let (status, body) = get(&mut stream, "/healthz").await;
        if status.contains(" 503 ") {
            refused = Some(body);
            break;
        }
        assert!(status.contains(" 200 "), "{status}");
        held.push(stream);
    }
    let body = refused.expect("the connection over the cap was served");
    assert!(
        (CAP - 2..=CAP).contains(&held.len()),
        "refused after {} connections",
        held.len()
    );
    let problem: serde_json::Value = serde_json::from_str(&body).expect("problem+json");
    assert_eq!(problem["code"], "too_many_connections", "{problem}");

    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        let (status, _) = get(&mut stream, "/healthz").await;
        if status.contains(" 200 ") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the freed slot never served: {status}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_client_that_writes_a_12_mb_body_before_reading_gets_its_413() {
    let cluster = Cluster::start(Deployment::Embedded).await;
    let addr = gateway_addr(&cluster);
    let answer = tokio::task::spawn_blocking(move || {
        // As Python's urllib does it: everything written, then the answer read.
        const BODY: usize = 12 * 1024 * 1024;
        let mut stream = std::net::TcpStream::connect(addr).expect("connect");
        stream
            .set_read_timeout(Some(Duration::from_secs(20)))
            .expect("timeout");
        let head = format!(
            "POST /api/v1/auth/register HTTP/1.1\r\nHost: boxoffice.test\r\n\
             Content-Type: application/json\r\nContent-Length: {BODY}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).expect("headers");
        let chunk = vec![b'a'; 64 * 1024];
        for _ in 0..BODY / chunk.len() {
            stream
                .write_all(&chunk)
                .expect("the server reset the connection while the body was sent");
        }
        let mut answer = Vec::new();
        stream.read_to_end(&mut answer).expect("read the answer");
        String::from_utf8_lossy(&answer).into_owned()
    })
    .await
    .expect("client");
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("body_too_large"), "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn metrics_on_the_public_port_are_served_only_with_the_metrics_token() {
    let hidden = Cluster::start(Deployment::Embedded).await;
    let response = reqwest::get(format!("{}/metrics", hidden.gateway_url))
        .await
        .expect("metrics");
    assert_eq!(response.status(), 404);
    drop(hidden);

    let token = "prometheus-scrapes-with-this-0123";
    let guarded = Cluster::start_with(
        Deployment::Embedded,
        &[("BOXOFFICE_GATEWAY__METRICS_TOKEN", token)],
    )
    .await;
    let client = reqwest::Client::new();
    let url = format!("{}/metrics", guarded.gateway_url);
    let anonymous = client.get(&url).send().await.expect("metrics");
    assert_eq!(anonymous.status(), 401);
    let wrong = client
        .get(&url)
        .bearer_auth("prometheus-scrapes-with-this-0124")
        .send()
        .await
        .expect("metrics");
    assert_eq!(wrong.status(), 401);
    let scraped = client
        .get(&url)
        .bearer_auth(token)
        .send()
        .await
        .expect("metrics");
    assert_eq!(scraped.status(), 200);
    assert!(
        scraped
            .text()
            .await
            .expect("text")
            .contains("http_requests_total"),
        "no request metrics"
    );
}

#[test]
fn bench_single_leaves_the_current_directory_untouched() {
    let cwd = tempfile::tempdir().expect("tempdir");
    let output = Command::new(env!("CARGO_BIN_EXE_boxoffice"))
        .current_dir(cwd.path())
        .env_remove("BOXOFFICE_DATA_DIR")
        .args(["bench", "single", "--users", "1", "--duration", "1"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run bench");
    assert!(
        output.status.success(),
        "bench failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let left: Vec<_> = std::fs::read_dir(cwd.path())
        .expect("read cwd")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    assert!(
        left.is_empty(),
        "bench wrote into the current directory: {left:?}"
    );
}

#[test]
fn an_exposed_grpc_listener_without_a_credential_refuses_to_start() {
    let data_dir = tempfile::tempdir().expect("tempdir");
    let cinema = |token: Option<&str>| {
        let mut command = Command::new(env!("CARGO_BIN_EXE_boxoffice"));
        command
            .arg("--data-dir")
            .arg(data_dir.path())
            .args([
                "cinema",
                "--listen",
                "127.0.0.1:0",
                "--grpc-listen",
                "0.0.0.0:0",
            ])
            .env_remove("BOXOFFICE_CINEMA__SERVICE_TOKEN")
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        if let Some(token) = token {
            command.env("BOXOFFICE_CINEMA__SERVICE_TOKEN", token);
        }
        command.spawn().expect("spawn cinema")
    };
    let refused = cinema(None).wait_with_output().expect("exit");
    let stderr = String::from_utf8_lossy(&refused.stderr);
    assert!(!refused.status.success(), "started without a credential");
    assert!(
        stderr.contains("refuses to listen on 0.0.0.0:0")
            && stderr.contains("cinema.service_token"),
        "{stderr}"
    );

    // With one it starts (and is stopped here once it says so).
    let mut started = cinema(Some("an-operator-chosen-token-0123456789"));
    let stderr = started.stderr.take().expect("stderr");
    let ready = std::io::BufRead::lines(std::io::BufReader::new(stderr))
        .map_while(Result::ok)
        .any(|line| line.contains("service ready"));
    let _ = started.kill();
    let _ = started.wait();
    assert!(ready, "cinema with a credential did not start");
}
