//! The notifications service against real servers: a RabbitMQ vhost, PostgreSQL database and
//! Redis key prefix of its own per test, and the SMTP sink.
#![allow(dead_code)]

use std::collections::HashSet;
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use boxoffice_auth::{KeySource, Role, SigningKeyPair, TokenIssuer, TokenRules, Verifier};
use boxoffice_events::payloads::{
    BookingConfirmed, CinemaInfo, EventPayload, Money, Recipient, Ticket, UserRegistered,
};
use boxoffice_events::testing::TestVhost;
use boxoffice_events::{EventBus, EventEnvelope, RabbitBus};
use boxoffice_http::CancellationToken;
use boxoffice_notifications::email::SmtpSender;
use boxoffice_notifications::idempotency::{IdempotencyStore, RedisIdempotency};
use boxoffice_notifications::sms::SimulatedSms;
use boxoffice_notifications::smtp_sink::SmtpSink;
use boxoffice_notifications::{Ports, Running, Settings, start, store};
use boxoffice_store::{Database, PoolSettings};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use uuid::Uuid;

pub fn redis_url() -> String {
    std::env::var("BOXOFFICE_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned())
}

/// Settings for fast tests: short retries and a short claim so a crashed worker's events are
/// taken over in about a second.
pub fn test_settings(amqp_url: Option<String>) -> Settings {
    Settings {
        listen: "127.0.0.1:0".to_owned(),
        amqp_url,
        retry_base_ms: 50,
        retry_max_ms: 200,
        max_attempts: 3,
        claim_ttl_ms: 3_000,
        done_ttl_secs: 600,
        drain_timeout_secs: 5,
        ..Settings::default()
    }
}

/// Signs access tokens that a verifier built from the same keys trusts (the users service's
/// JWKS stand-in).
pub struct TestKeys {
    issuer: TokenIssuer,
}

impl TestKeys {
    pub fn new() -> Self {
        let pair = SigningKeyPair::generate().expect("key");
        let issuer = TokenIssuer::new(
            pair,
            vec![],
            TokenRules::default(),
            Duration::from_secs(300),
        )
        .expect("issuer");
        Self { issuer }
    }

    pub fn verifier(&self) -> Arc<Verifier> {
        Arc::new(Verifier::new(
            KeySource::Static(self.issuer.jwks()),
            TokenRules::default(),
        ))
    }

    pub fn token(&self, role: Role) -> String {
        self.issuer.issue(Uuid::now_v7(), role).expect("issue")
    }
}

pub struct Harness {
    pub vhost: TestVhost,
    pub sink: SmtpSink,
    pub database: Database,
    pub redis_prefix: String,
    pub sms: SimulatedSms,
}

impl Harness {
    pub async fn new() -> Self {
        let url = boxoffice_store::testing::fresh_postgres_url()
            .await
            .expect("database");
        let database = Database::connect(&url, &store::MIGRATIONS, PoolSettings::default())
            .await
            .expect("connect");
        Self {
            vhost: TestVhost::create().await.expect("vhost"),
            sink: SmtpSink::start().await.expect("smtp sink"),
            database,
            redis_prefix: format!("bo_test:{}:", Uuid::now_v7().simple()),
            sms: SimulatedSms::new(),
        }
    }

    pub fn bus(&self) -> Arc<RabbitBus> {
        Arc::new(RabbitBus::new(self.vhost.url.clone()))
    }

    /// Fresh ports, as a newly started process would have them.
    pub fn ports(&self, redis_url: &str) -> Ports {
        let idempotency: Arc<dyn IdempotencyStore> =
            Arc::new(RedisIdempotency::new(redis_url, self.redis_prefix.clone()).expect("redis"));
        Ports {
            bus: self.bus(),
            database: self.database.clone(),
            idempotency: Some(idempotency),
            email: Arc::new(SmtpSender::new(&self.sink.smtp_settings()).expect("smtp")),
            sms: Arc::new(self.sms.clone()),
            verifier: TestKeys::new().verifier(),
        }
    }

    pub async fn start(&self, ports: Ports) -> (Running, CancellationToken) {
        let shutdown = CancellationToken::new();
        let running = start(
            test_settings(Some(self.vhost.url.clone())),
            ports,
            shutdown.clone(),
        )
        .await
        .expect("start");
        eventually(Duration::from_secs(10), "the queue is declared", || async {
            self.vhost.ready_messages("notifications").await.is_ok()
        })
        .await;
        (running, shutdown)
    }

    /// Message-IDs of the emails the sink accepted, one per email (duplicates kept).
    pub fn sent_message_ids(&self) -> Vec<String> {
        self.sink
            .messages()
            .iter()
            .map(|m| {
                mail_parser::MessageParser::new()
                    .parse(&m.data)
                    .and_then(|p| p.message_id().map(str::to_owned))
                    .expect("every email has a Message-ID")
            })
            .collect()
    }

    /// Messages waiting in the main queue and its retry queues.
    pub async fn queues_idle(&self, running: &Running) -> bool {
        let mut waiting = 0;
        for queue in [
            "notifications",
            "notifications.retry.50ms",
            "notifications.retry.100ms",
        ] {
            waiting += self.vhost.ready_messages(queue).await.unwrap_or(1);
        }
        waiting == 0 && running.in_flight() == 0
    }

    pub async fn sent_rows(&self) -> Vec<store::LogEntry> {
        let log = store::NotificationLog::new(self.database.clone());
        log.entries()
            .await
            .expect("log")
            .into_iter()
            .filter(|e| e.status == "sent")
            .collect()
    }
}

/// Asserts one email per expected event and a log row for each, one to one.
pub async fn assert_exactly_once(harness: &Harness, expected: &HashSet<Uuid>) {
    let ids = harness.sent_message_ids();
    let distinct: HashSet<&String> = ids.iter().collect();
    assert_eq!(ids.len(), distinct.len(), "an email was sent twice");
    let wanted: HashSet<String> = expected
        .iter()
        .map(|id| format!("{id}.email@boxoffice"))
        .collect();
    let got: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(got, wanted, "one email per unique event");
    let rows = harness.sent_rows().await;
    let logged: HashSet<String> = rows
        .iter()
        .map(|r| {
            r.message_id
                .trim_matches(|c| c == '<' || c == '>')
                .to_owned()
        })
        .collect();
    assert_eq!(rows.len(), logged.len());
    assert_eq!(logged, got, "the log matches the emails one to one");
}

/// Polls `condition` every 25 ms until it holds or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, what: &str, mut condition: F)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if condition().await {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

pub fn user_registered(i: usize) -> EventEnvelope {
    UserRegistered {
        user_id: Uuid::now_v7(),
        email: format!("user{i}@example.com"),
        name: format!("User {i}"),
        phone: None,
    }
    .to_envelope()
    .expect("envelope")
}

pub fn booking(i: usize, phone: Option<&str>) -> BookingConfirmed {
    BookingConfirmed {
        booking_id: Uuid::now_v7(),
        user_id: Uuid::now_v7(),
        recipient: Recipient {
            email: format!("customer{i}@example.com"),
            name: "Zoë Ångström".to_owned(),
            phone: phone.map(str::to_owned),
        },
        showtime_id: Uuid::now_v7(),
        movie_title: "The Long Night".to_owned(),
        cinema: CinemaInfo {
            id: Uuid::now_v7(),
            name: "Odéon Paris".to_owned(),
            address: "12 rue de l'Odéon, 75006 Paris".to_owned(),
            time_zone: "Europe/Paris".to_owned(),
        },
        auditorium: "Salle 2".to_owned(),
        starts_at: "2026-12-01T18:30:00Z".parse().expect("time"),
        seats: vec!["F-12".to_owned(), "F-13".to_owned()],
        tickets: vec![
            Ticket {
                code: format!("TKT-{i}-A7Q2ZK"),
                seat_id: "F-12".to_owned(),
            },
            Ticket {
                code: format!("TKT-{i}-B9X4MP"),
                seat_id: "F-13".to_owned(),
            },
        ],
        total: Money {
            amount: 2_450,
            currency: "EUR".to_owned(),
        },
    }
}

/// `unique` events (every fifth a booking confirmation) and duplicates of some of them,
/// shuffled deterministically; returns the stream and the set of unique ids.
pub fn stream_with_duplicates(
    unique: usize,
    duplicates: usize,
) -> (Vec<EventEnvelope>, HashSet<Uuid>) {
    let originals: Vec<EventEnvelope> = (0..unique)
        .map(|i| {
            if i % 5 == 0 {
                booking(i, None).to_envelope().expect("envelope")
            } else {
                user_registered(i)
            }
        })
        .collect();
    let ids = originals.iter().map(|e| e.id).collect();
    let mut stream = originals.clone();
    let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move |bound: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % bound as u64) as usize
    };
    for _ in 0..duplicates {
        stream.push(originals[next(unique)].clone());
    }
    for i in (1..stream.len()).rev() {
        stream.swap(i, next(i + 1));
    }
    (stream, ids)
}

pub async fn publish_all(bus: &dyn EventBus, events: &[EventEnvelope]) {
    for chunk in events.chunks(100) {
        bus.publish_batch(chunk).await.expect("publish");
    }
}

/// A TCP proxy in front of a real server, which a test can cut: open connections are dropped
/// and new ones refused, as when the server goes down.
pub struct CuttableProxy {
    pub addr: std::net::SocketAddr,
    tasks: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl CuttableProxy {
    pub async fn start(upstream: &str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let tasks: Arc<Mutex<Vec<JoinHandle<()>>>> = Arc::default();
        let upstream = upstream.to_owned();
        let registry = tasks.clone();
        let accept = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut server) = TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut server).await;
                    }
                });
                registry.lock().expect("lock").push(task);
            }
        });
        tasks.lock().expect("lock").push(accept);
        Self { addr, tasks }
    }

    pub fn cut(&self) {
        for task in self.tasks.lock().expect("lock").drain(..) {
            task.abort();
        }
    }
}
