//! HoldSeats/ReleaseHold throughput and latency against the cinema service over gRPC.
//!
//! Two scenarios at each client count: `hot`, every client fighting over the seats of one
//! showtime, and `spread`, every client picking one of many showtimes. A client loops: hold two
//! adjacent random seats, and if that succeeded release them. A conflict (FAILED_PRECONDITION)
//! is a normal answer and counts as a hold operation; any other error aborts the run.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use boxoffice_auth::{JwkSet, KeySource, TokenRules, Verifier};
use boxoffice_cinema::domain::{CinemaInput, Layout, MovieInput, Prices, ShowtimeInput};
use boxoffice_cinema::store::{CatalogStore, PgStore};
use boxoffice_config::Secret;
use boxoffice_http::CancellationToken;
use boxoffice_proto::cinema::v1::seat_inventory_client::SeatInventoryClient;
use boxoffice_proto::cinema::v1::{HoldSeatsRequest, ReleaseHoldRequest};
use boxoffice_proto::{CinemaChannel, Credential};
use boxoffice_store::{Database, PoolSettings};
use chrono::{Duration as Span, Utc};
use serde::Serialize;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::BenchError;
use crate::pgbench::{self, PgbenchResult};
use crate::stats::{Latency, histogram};

#[derive(Debug, Clone)]
pub struct HoldsOptions {
    /// The cinema service's PostgreSQL database; the benchmark seeds its showtimes there.
    pub database_url: String,
    /// An already running cinema service on that database; `None` starts one in-process.
    pub grpc_url: Option<String>,
    /// That service's credential (`cinema.service_token`); the in-process one's is known.
    pub grpc_token: Option<Secret>,
    /// Client counts to measure at.
    pub clients: Vec<usize>,
    /// How long each scenario runs at each client count.
    pub duration: Duration,
    /// Showtimes of the `spread` scenario.
    pub showtimes: usize,
    /// Pool size of the in-process service.
    pub pool_size: u32,
    /// Also run `pgbench -N` (with a scratch database on the server at this admin URL).
    pub pgbench_admin_url: Option<String>,
}

impl Default for HoldsOptions {
    fn default() -> Self {
        Self {
            database_url: String::new(),
            grpc_url: None,
            grpc_token: None,
            clients: vec![1, 16, 64],
            duration: Duration::from_secs(10),
            showtimes: 64,
            pool_size: 32,
            pgbench_admin_url: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct ScenarioResult {
    pub scenario: &'static str,
    pub clients: usize,
    pub seconds: f64,
    /// HoldSeats answers per second, granted or conflicting.
    pub holds_per_sec: f64,
    pub granted: u64,
    pub conflicts: u64,
    pub releases_per_sec: f64,
    pub hold_latency: Latency,
    pub release_latency: Latency,
}

#[derive(Debug, Clone, Serialize)]
pub struct HoldsReport {
    pub cpus: usize,
    pub scenarios: Vec<ScenarioResult>,
    pub pgbench: Vec<PgbenchResult>,
}

/// Seeds the showtimes, starts the service unless `grpc_url` is given, and measures.
pub async fn run(options: HoldsOptions) -> Result<HoldsReport, BenchError> {
    let (hot, spread) = seed(&options.database_url, options.showtimes.max(1)).await?;
    let shutdown = CancellationToken::new();
    let (url, token, running) = match &options.grpc_url {
        Some(url) => (
            url.clone(),
            options.grpc_token.clone().unwrap_or_default(),
            None,
        ),
        None => {
            let running = start_service(&options, shutdown.clone()).await?;
            let token = running.service_token.clone();
            (
                format!("http://{}", running.grpc_addr),
                token,
                Some(running),
            )
        }
    };
    let credential = Credential::bearer(token.expose());
    let mut scenarios = Vec::new();
    for &clients in &options.clients {
        scenarios.push(
            scenario(
                "hot",
                &url,
                &credential,
                clients,
                std::slice::from_ref(&hot),
                options.duration,
            )
            .await?,
        );
        scenarios.push(
            scenario(
                "spread",
                &url,
                &credential,
                clients,
                &spread,
                options.duration,
            )
            .await?,
        );
    }
    shutdown.cancel();
    if let Some(running) = running {
        running.wait().await?;
    }
    let pgbench = match &options.pgbench_admin_url {
        Some(admin) => pgbench::run(admin, &options.clients, options.duration).await?,
        None => Vec::new(),
    };
    let cpus = std::thread::available_parallelism().map_or(1, usize::from);
    Ok(HoldsReport {
        cpus,
        scenarios,
        pgbench,
    })
}

async fn start_service(
    options: &HoldsOptions,
    shutdown: CancellationToken,
) -> Result<boxoffice_cinema::Running, BenchError> {
    let settings = boxoffice_cinema::Settings {
        http_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        grpc_addr: SocketAddr::from(([127, 0, 0, 1], 0)),
        database_url: options.database_url.clone(),
        max_connections: options.pool_size,
        ..boxoffice_cinema::Settings::default()
    };
    // The benchmark uses no admin endpoint: a verifier that knows no keys is enough.
    let verifier = Arc::new(Verifier::new(
        KeySource::Static(JwkSet { keys: Vec::new() }),
        TokenRules::default(),
    ));
    Ok(boxoffice_cinema::start(settings, verifier, shutdown).await?)
}

/// Hot: one 400-seat showtime. Spread: `count` showtimes of 200 seats, back to back in one
/// auditorium.
async fn seed(database_url: &str, count: usize) -> Result<(String, Vec<String>), BenchError> {
    let settings = PoolSettings {
        max_connections: 2,
        ..PoolSettings::default()
    };
    let Database::Postgres(pool) =
        Database::connect(database_url, &boxoffice_cinema::MIGRATIONS, settings).await?
    else {
        return Err(BenchError::Measure(
            "the holds benchmark runs on PostgreSQL".into(),
        ));
    };
    let store = PgStore::new(pool.clone());
    let now = Utc::now();
    let cinema = store
        .create_cinema(
            &CinemaInput {
                name: format!("Bench {}", Uuid::now_v7()),
                address: "Benchmark Rd".into(),
                time_zone: "UTC".into(),
            },
            now,
        )
        .await?;
    let hot_hall = store
        .create_auditorium(cinema.id, "Hot", &Layout::grid(20, 20), now)
        .await?;
    let spread_hall = store
        .create_auditorium(cinema.id, "Spread", &Layout::grid(10, 20), now)
        .await?;
    let movie = MovieInput {
        title: "Benchmark".into(),
        runtime_minutes: 100,
        rating: String::new(),
        genres: Vec::new(),
        synopsis: String::new(),
        poster_url: String::new(),
        release_date: None,
    };
    let movie = store.create_movie(&movie, now).await?;
    let prices = Prices {
        currency: "EUR".into(),
        standard: 1000,
        premium: 1500,
        accessible: 800,
    };
    let start = now + Span::days(30);
    let showtime = |auditorium_id, n: i64| ShowtimeInput {
        movie_id: movie.id,
        auditorium_id,
        starts_at: start + Span::hours(3 * n),
        prices: prices.clone(),
    };
    let hot = store
        .create_showtime(&showtime(hot_hall.id, 0), now)
        .await?
        .id
        .to_string();
    let mut spread = Vec::with_capacity(count);
    for n in 0..count {
        spread.push(
            store
                .create_showtime(&showtime(spread_hall.id, n as i64), now)
                .await?
                .id
                .to_string(),
        );
    }
    pool.close().await;
    Ok((hot, spread))
}

struct ClientTally {
    holds: hdrhistogram::Histogram<u64>,
    releases: hdrhistogram::Histogram<u64>,
    granted: u64,
    conflicts: u64,
}

async fn scenario(
    name: &'static str,
    url: &str,
    credential: &Credential,
    clients: usize,
    showtimes: &[String],
    duration: Duration,
) -> Result<ScenarioResult, BenchError> {
    let mut channels = Vec::with_capacity(clients);
    for _ in 0..clients {
        // One connection per client, as separate booking-service instances would have.
        channels.push(SeatInventoryClient::new(
            credential.clone().channel(
                Channel::from_shared(url.to_owned())
                    .map_err(|e| BenchError::Measure(e.to_string()))?
                    .connect()
                    .await?,
            ),
        ));
    }
    let started = Instant::now();
    let deadline = started + duration;
    let tasks: Vec<_> = channels
        .into_iter()
        .enumerate()
        .map(|(n, client)| {
            tokio::spawn(client_loop(
                client,
                showtimes.to_vec(),
                deadline,
                n as u64 + 1,
            ))
        })
        .collect();
    let mut holds = histogram()?;
    let mut releases = histogram()?;
    let (mut granted, mut conflicts) = (0, 0);
    for task in tasks {
        let tally = task
            .await
            .map_err(|e| BenchError::Measure(e.to_string()))??;
        holds
            .add(&tally.holds)
            .map_err(|e| BenchError::Measure(e.to_string()))?;
        releases
            .add(&tally.releases)
            .map_err(|e| BenchError::Measure(e.to_string()))?;
        granted += tally.granted;
        conflicts += tally.conflicts;
    }
    let seconds = started.elapsed().as_secs_f64();
    Ok(ScenarioResult {
        scenario: name,
        clients,
        seconds,
        holds_per_sec: holds.len() as f64 / seconds,
        granted,
        conflicts,
        releases_per_sec: releases.len() as f64 / seconds,
        hold_latency: Latency::of(&holds),
        release_latency: Latency::of(&releases),
    })
}

async fn client_loop(
    mut client: SeatInventoryClient<CinemaChannel>,
    showtimes: Vec<String>,
    deadline: Instant,
    seed: u64,
) -> Result<ClientTally, BenchError> {
    let mut tally = ClientTally {
        holds: histogram()?,
        releases: histogram()?,
        granted: 0,
        conflicts: 0,
    };
    let mut rng = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    while Instant::now() < deadline {
        let showtime_id = showtimes[(next() % showtimes.len() as u64) as usize].clone();
        // Rows A..J exist in both layouts; seats 1..=19 so that n+1 exists too.
        let row = (b'A' + (next() % 10) as u8) as char;
        let seat = 1 + next() % 19;
        let hold_id = Uuid::now_v7().to_string();
        let request = HoldSeatsRequest {
            showtime_id,
            seat_ids: vec![format!("{row}-{seat}"), format!("{row}-{}", seat + 1)],
            hold_id: hold_id.clone(),
            ttl_seconds: Some(60),
        };
        let t = Instant::now();
        let held = client.hold_seats(request).await;
        record(&mut tally.holds, t)?;
        match held {
            Ok(_) => tally.granted += 1,
            Err(status) if status.code() == tonic::Code::FailedPrecondition => {
                tally.conflicts += 1;
                continue;
            }
            Err(status) => return Err(status.into()),
        }
        let t = Instant::now();
        client.release_hold(ReleaseHoldRequest { hold_id }).await?;
        record(&mut tally.releases, t)?;
    }
    Ok(tally)
}

fn record(h: &mut hdrhistogram::Histogram<u64>, since: Instant) -> Result<(), BenchError> {
    let us = since.elapsed().as_micros().max(1) as u64;
    h.record(us.min(h.high()))
        .map_err(|e| BenchError::Measure(e.to_string()))
}

impl HoldsReport {
    /// Tables for docs/BENCHMARKS.md, with the hot-showtime rate against pgbench -N.
    pub fn to_markdown(&self) -> String {
        let mut out = String::from(
            "| scenario | clients | holds/s | granted | conflicts | releases/s | hold p50 / p90 / p99 / max ms | release p50 / p90 / p99 / max ms |\n|---|---:|---:|---:|---:|---:|---|---|\n",
        );
        for s in &self.scenarios {
            let l = |x: &Latency| {
                format!(
                    "{} / {} / {} / {}",
                    Latency::ms(x.p50_us),
                    Latency::ms(x.p90_us),
                    Latency::ms(x.p99_us),
                    Latency::ms(x.max_us)
                )
            };
            out.push_str(&format!(
                "| {} | {} | {:.0} | {} | {} | {:.0} | {} | {} |\n",
                s.scenario,
                s.clients,
                s.holds_per_sec,
                s.granted,
                s.conflicts,
                s.releases_per_sec,
                l(&s.hold_latency),
                l(&s.release_latency)
            ));
        }
        if !self.pgbench.is_empty() {
            out.push_str("\n| clients | pgbench -N tps | hot holds/s | hot holds+releases/s | holds / pgbench |\n|---:|---:|---:|---:|---:|\n");
            for p in &self.pgbench {
                if let Some(hot) = self
                    .scenarios
                    .iter()
                    .find(|s| s.scenario == "hot" && s.clients == p.clients)
                {
                    out.push_str(&format!(
                        "| {} | {:.0} | {:.0} | {:.0} | {:.0}% |\n",
                        p.clients,
                        p.tps,
                        hot.holds_per_sec,
                        hot.holds_per_sec + hot.releases_per_sec,
                        100.0 * hot.holds_per_sec / p.tps
                    ));
                }
            }
        }
        out
    }
}
