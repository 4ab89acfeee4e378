//! `boxoffice bench rush|single|weekend|reads`: load through the gateway's public API, as real
//! customers would, with latency histograms, a timeline and reports.

mod gql;
pub mod html;
mod progress;
pub mod rng;
pub mod scenario;
pub mod seats;
pub mod setup;
pub mod stats;

use std::sync::Arc;
use std::time::{Duration, Instant};

use boxoffice_client::{ApiClient, ClientError};
use serde::Serialize;

use crate::scenario::{Behaviour, Shared};
use crate::stats::{LatencySummary, Measurements};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Scenario {
    /// A premiere: everyone wants the same film on the same evening, most the best showtime.
    Rush,
    /// One showtime, one seat per booking, a closed loop: the workload pretix was measured on.
    Single,
    /// Many showtimes, mostly browsing with some bookings.
    Weekend,
    /// Seat maps and showtime lists only.
    Reads,
}

impl Scenario {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "rush" => Some(Self::Rush),
            "single" => Some(Self::Single),
            "weekend" => Some(Self::Weekend),
            "reads" => Some(Self::Reads),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Options {
    pub scenario: Scenario,
    pub users: usize,
    pub duration: Duration,
    /// Open model: arrivals per second; `None` runs a closed loop of `users` customers.
    pub arrival_rate: Option<f64>,
    pub decline_share: f64,
    /// Showtimes (auditoriums) to create, and their size.
    pub showtimes: usize,
    pub rows: usize,
    pub seats_per_row: usize,
    pub show_progress: bool,
}

impl Options {
    /// The scenario's defaults, as described in docs/BENCHMARKS.md.
    pub fn for_scenario(scenario: Scenario) -> Self {
        let base = Self {
            scenario,
            users: 500,
            duration: Duration::from_secs(60),
            arrival_rate: None,
            decline_share: 0.1,
            showtimes: 10,
            rows: 12,
            seats_per_row: 21,
            show_progress: true,
        };
        match scenario {
            Scenario::Rush => base,
            // pretix's workload: 500 reserved seats, one showtime.
            Scenario::Single => Self {
                users: 32,
                showtimes: 1,
                rows: 20,
                seats_per_row: 25,
                decline_share: 0.0,
                ..base
            },
            Scenario::Weekend => Self {
                users: 200,
                showtimes: 20,
                ..base
            },
            Scenario::Reads => Self {
                users: 64,
                showtimes: 10,
                decline_share: 0.0,
                ..base
            },
        }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub scenario: Scenario,
    pub users: usize,
    pub arrival_rate: Option<f64>,
    pub duration_s: f64,
    pub bookings_confirmed: u64,
    pub seats_sold: u64,
    pub seats_total: usize,
    pub confirmed_per_s: f64,
    pub attempts: u64,
    pub conflicts: u64,
    pub errors: std::collections::BTreeMap<String, u64>,
    pub latency_ms: std::collections::BTreeMap<String, LatencySummary>,
    pub requests_per_s: f64,
    pub timeline: Vec<u64>,
    /// Filled in by the caller, which knows where the stores are.
    pub audit: serde_json::Value,
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("setup through the API failed: {0}")]
    Setup(#[from] ClientError),
}

/// Sets the run up through `api` (public) and `admin` (an admin's client), then runs it.
pub async fn run(
    options: &Options,
    api: &ApiClient,
    admin: &ApiClient,
) -> Result<Report, LoadError> {
    let showtimes = setup::premiere(
        admin,
        options.showtimes,
        options.rows,
        options.seats_per_row,
    )
    .await?;
    let seats_total = showtimes.iter().map(|s| s.seats).sum();
    let largest_showtime = showtimes.iter().map(|s| s.seats).max().unwrap_or(0);
    let accounts = setup::customers(
        api,
        setup::accounts_needed(options.users, largest_showtime),
        8,
    )
    .await?;
    tracing::info!(
        users = options.users,
        accounts = accounts.len(),
        showtimes = showtimes.len(),
        "bench set up; starting the clock"
    );

    let started = Instant::now();
    let (max_group, favourite_share) = match options.scenario {
        Scenario::Single => (1, 1.0),
        _ => (4, 0.6),
    };
    let shared = Arc::new(Shared::new(
        showtimes,
        options.decline_share,
        max_group,
        favourite_share,
        started + options.duration,
        accounts,
    ));
    let behaviour = match options.scenario {
        Scenario::Rush | Scenario::Single => Behaviour::Book,
        Scenario::Weekend => Behaviour::Mixed { book_one_in: 5 },
        Scenario::Reads => Behaviour::Read,
    };
    let progress = options
        .show_progress
        .then(|| progress::spawn(shared.clone(), options.scenario, options.duration));
    match options.arrival_rate {
        Some(rate) => scenario::open_loop(shared.clone(), behaviour, rate, 4096).await,
        None => scenario::closed_loop(shared.clone(), options.users, behaviour).await,
    }
    let elapsed = started.elapsed();
    if let Some(progress) = progress {
        progress.abort();
        eprintln!();
    }
    let m: Measurements = shared.recorder.finish(elapsed);
    let requests: u64 = m
        .latency_ms
        .iter()
        .filter(|(op, _)| *op != "arrivalToDone")
        .map(|(_, l)| l.count)
        .sum();
    Ok(Report {
        scenario: options.scenario,
        users: options.users,
        arrival_rate: options.arrival_rate,
        duration_s: m.duration_s,
        bookings_confirmed: m.bookings_confirmed,
        seats_sold: m.seats_sold,
        seats_total,
        confirmed_per_s: m.confirmed_per_s,
        attempts: m.attempts,
        conflicts: m.conflicts,
        errors: m.errors,
        latency_ms: m.latency_ms,
        requests_per_s: if m.duration_s > 0.0 {
            requests as f64 / m.duration_s
        } else {
            0.0
        },
        timeline: m.timeline,
        audit: serde_json::Value::Null,
    })
}

impl Report {
    /// The human-readable summary printed at the end of a run.
    pub fn summary(&self) -> String {
        let mut out = format!(
            "scenario {:?}: {} users, {:.1} s\n  confirmed {} bookings ({:.1}/s), {} of {} seats sold\n  attempts {}, conflicts {}, requests {:.0}/s\n",
            self.scenario,
            self.users,
            self.duration_s,
            self.bookings_confirmed,
            self.confirmed_per_s,
            self.seats_sold,
            self.seats_total,
            self.attempts,
            self.conflicts,
            self.requests_per_s,
        );
        for (code, count) in &self.errors {
            out.push_str(&format!("  error {code}: {count}\n"));
        }
        out.push_str("  latency ms        count     p50     p90     p99    p999     max\n");
        for (op, l) in &self.latency_ms {
            out.push_str(&format!(
                "  {op:<15} {:>8} {:>7.1} {:>7.1} {:>7.1} {:>7.1} {:>7.1}\n",
                l.count, l.p50, l.p90, l.p99, l.p999, l.max
            ));
        }
        out
    }
}
