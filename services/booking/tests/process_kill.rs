//! A real process kill: the booking service runs in a child process (this test binary,
//! re-executed), which is SIGKILLed once the capture is recorded and before the hold is
//! confirmed. A new instance on the same database then finishes the saga: CONFIRMED, charged
//! once, one booking.confirmed.

mod common;

use std::process::Stdio;
use std::sync::Arc;

use boxoffice_auth::{JwkSet, KeySource, TokenRules, Verifier};
use boxoffice_booking::saga::Faults;
use boxoffice_http::CancellationToken;
use boxoffice_store::{Database, PoolSettings};
use common::*;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::sync::Notify;

const SETTINGS_ENV: &str = "BOOKING_CHILD_SETTINGS";
const JWKS_ENV: &str = "BOOKING_CHILD_JWKS";

/// The child: a booking service that halts after every capture. Ignored in normal runs; the
/// parent test starts it with `--ignored`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "started as a child process by the process-kill test"]
async fn booking_service_child_process() {
    let (Ok(settings), Ok(jwks)) = (std::env::var(SETTINGS_ENV), std::env::var(JWKS_ENV)) else {
        return;
    };
    let settings: boxoffice_booking::Settings = serde_json::from_str(&settings).expect("settings");
    let jwks: JwkSet = serde_json::from_str(&jwks).expect("jwks");
    let verifier = Arc::new(Verifier::new(
        KeySource::Static(jwks),
        TokenRules::default(),
    ));
    let database = Database::connect(
        &settings.database_url,
        &boxoffice_booking::MIGRATIONS,
        PoolSettings::default(),
    )
    .await
    .expect("db");
    let faults = Faults {
        halt_after_charge: Some(Arc::new(Notify::new())),
        ..Faults::default()
    };
    let (bus, _) = memory_bus().await;
    let running = boxoffice_booking::start_with_faults(
        settings,
        database,
        verifier,
        bus,
        CancellationToken::new(),
        faults,
    )
    .await
    .expect("start");
    println!("LISTENING {}", running.http_addr);
    std::future::pending::<()>().await;
}

async fn step_of(database: &Database, id: &str) -> String {
    let id = uuid::Uuid::parse_str(id).expect("uuid");
    let sql = "SELECT step FROM bookings WHERE id = $1";
    let (step,): (String,) = match database {
        Database::Postgres(pool) => sqlx::query_as(sql).bind(id).fetch_one(pool).await,
        Database::Sqlite(pool) => sqlx::query_as(sql).bind(id).fetch_one(pool).await,
    }
    .expect("step");
    step
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_killed_process_between_charge_and_confirm_is_finished_by_the_next_instance() {
    let cluster = Cluster::start(Engine::Postgres).await;
    let seeded = cluster.seed(2, 5, "2030-01-01T18:00:00Z").await;
    let (_, token) = cluster.customer("Killed").await;
    let db = database_url(Engine::Postgres).await;
    let mut settings = cluster.booking_settings(&db);
    settings.lease_secs = 2;
    let jwks = serde_json::to_string(&cluster.accounts.issuer().jwks()).expect("jwks");

    let mut child = tokio::process::Command::new(std::env::current_exe().expect("exe"))
        .args([
            "--exact",
            "booking_service_child_process",
            "--ignored",
            "--nocapture",
        ])
        .env(
            SETTINGS_ENV,
            serde_json::to_string(&settings).expect("settings"),
        )
        .env(JWKS_ENV, jwks)
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("child");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = loop {
        let line = lines
            .next_line()
            .await
            .expect("read")
            .expect("child exited early");
        if let Some(addr) = line.strip_prefix("LISTENING ") {
            break addr.to_owned();
        }
    };
    let url = format!("http://{addr}/graphql");
    let created = create_booking(&url, &token, &seeded.showtime_id, &["B-1", "B-2"]).await;
    let id = created["data"]["createBooking"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let paying = {
        let (url, token, id) = (url.clone(), token.clone(), id.clone());
        tokio::spawn(async move { pay_booking(&url, &token, &id, CARD_OK, "k").await })
    };
    let probe = Database::connect(&db, &boxoffice_booking::MIGRATIONS, PoolSettings::default())
        .await
        .expect("probe");
    eventually("the capture is recorded", || async {
        step_of(&probe, &id).await == "charged"
    })
    .await;
    child.kill().await.expect("SIGKILL");
    paying.abort();

    let (bus, events) = memory_bus().await;
    let second = Booking::start(&cluster, settings, bus, Faults::default()).await;
    eventually("the next instance confirms", || async {
        booking_status(&second.url(), &token, &id).await["data"]["booking"]["status"] == "CONFIRMED"
    })
    .await;
    let booking_id = uuid::Uuid::parse_str(&id).expect("uuid");
    let charges: Vec<(String, i64, i64)> = match &cluster.payments_db {
        Database::Postgres(pool) => sqlx::query_as(
            "SELECT status, amount, amount_refunded FROM payments WHERE booking_id = $1",
        )
        .bind(booking_id)
        .fetch_all(pool)
        .await
        .expect("payments"),
        Database::Sqlite(_) => unreachable!("PostgreSQL only"),
    };
    assert_eq!(charges, vec![("succeeded".to_owned(), 2400, 0)]);
    eventually("one booking.confirmed", || async {
        events.of_type("booking.confirmed").len() == 1
    })
    .await;
    let states = cluster.seat_states(&seeded.showtime_id).await;
    assert_eq!(states.iter().filter(|s| s.1 == "sold").count(), 2);
}
