//! What a run measured: latency histograms per operation, outcomes, and a per-second timeline.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;

/// Latencies are recorded in microseconds, up to a minute.
const MAX_LATENCY_US: u64 = 60_000_000;

pub struct Recorder {
    started: Instant,
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    latencies: BTreeMap<&'static str, Histogram<u64>>,
    errors: BTreeMap<String, u64>,
    attempts: u64,
    conflicts: u64,
    bookings_confirmed: u64,
    seats_sold: u64,
    /// Confirmed bookings per elapsed second.
    timeline: Vec<u64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct LatencySummary {
    pub count: u64,
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p999: f64,
    pub max: f64,
    /// (upper bound in ms, count) for the report's histogram plot.
    #[serde(skip)]
    pub buckets: Vec<(f64, u64)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Measurements {
    pub duration_s: f64,
    pub attempts: u64,
    pub conflicts: u64,
    pub bookings_confirmed: u64,
    pub seats_sold: u64,
    pub confirmed_per_s: f64,
    pub errors: BTreeMap<String, u64>,
    pub latency_ms: BTreeMap<String, LatencySummary>,
    pub timeline: Vec<u64>,
}

impl Default for Recorder {
    fn default() -> Self {
        Self::new()
    }
}

impl Recorder {
    pub fn new() -> Self {
        Self {
            started: Instant::now(),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        let mut guard = match self.inner.lock() {
            Ok(guard) => guard,
            // A panicking worker must not take the measurements down with it.
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    pub fn latency(&self, operation: &'static str, took: Duration) {
        let micros = (took.as_micros() as u64).clamp(1, MAX_LATENCY_US);
        self.with(|inner| {
            if !inner.latencies.contains_key(operation) {
                // The bounds are constants that hdrhistogram accepts; creation cannot fail.
                let Ok(histogram) = Histogram::new_with_bounds(1, MAX_LATENCY_US, 3) else {
                    return;
                };
                inner.latencies.insert(operation, histogram);
            }
            if let Some(histogram) = inner.latencies.get_mut(operation) {
                histogram.saturating_record(micros);
            }
        });
    }

    pub fn error(&self, code: &str) {
        self.with(|inner| *inner.errors.entry(code.to_owned()).or_default() += 1);
    }

    pub fn attempt(&self) {
        self.with(|inner| inner.attempts += 1);
    }

    pub fn conflict(&self) {
        self.with(|inner| inner.conflicts += 1);
    }

    pub fn confirmed(&self, seats: usize) {
        let second = self.started.elapsed().as_secs() as usize;
        self.with(|inner| {
            inner.bookings_confirmed += 1;
            inner.seats_sold += seats as u64;
            if inner.timeline.len() <= second {
                inner.timeline.resize(second + 1, 0);
            }
            inner.timeline[second] += 1;
        });
    }

    pub fn confirmed_so_far(&self) -> u64 {
        self.with(|inner| inner.bookings_confirmed)
    }

    pub fn finish(&self, duration: Duration) -> Measurements {
        self.with(|inner| {
            let latency_ms = inner
                .latencies
                .iter()
                .map(|(op, h)| ((*op).to_owned(), summarize(h)))
                .collect();
            let duration_s = duration.as_secs_f64();
            Measurements {
                duration_s,
                attempts: inner.attempts,
                conflicts: inner.conflicts,
                bookings_confirmed: inner.bookings_confirmed,
                seats_sold: inner.seats_sold,
                confirmed_per_s: if duration_s > 0.0 {
                    inner.bookings_confirmed as f64 / duration_s
                } else {
                    0.0
                },
                errors: inner.errors.clone(),
                latency_ms,
                timeline: inner.timeline.clone(),
            }
        })
    }
}

fn ms(micros: u64) -> f64 {
    micros as f64 / 1000.0
}

fn summarize(h: &Histogram<u64>) -> LatencySummary {
    let mut buckets = Vec::new();
    let mut bound = 1.0_f64;
    let mut seen = 0;
    while seen < h.len() && bound < 120_000.0 {
        let upper_us = (bound * 1000.0) as u64;
        let below = h
            .iter_recorded()
            .filter(|v| v.value_iterated_to() <= upper_us)
            .map(|v| v.count_at_value())
            .sum::<u64>();
        buckets.push((bound, below - seen));
        seen = below;
        bound *= 2.0;
    }
    LatencySummary {
        count: h.len(),
        p50: ms(h.value_at_quantile(0.5)),
        p90: ms(h.value_at_quantile(0.9)),
        p99: ms(h.value_at_quantile(0.99)),
        p999: ms(h.value_at_quantile(0.999)),
        max: ms(h.max()),
        buckets,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_counts_add_up() {
        let recorder = Recorder::new();
        for ms in 1..=100 {
            recorder.latency("createBooking", Duration::from_millis(ms));
        }
        recorder.confirmed(2);
        recorder.conflict();
        recorder.error("SEATS_UNAVAILABLE");
        let m = recorder.finish(Duration::from_secs(2));
        let create = &m.latency_ms["createBooking"];
        assert_eq!(create.count, 100);
        assert!((create.p50 - 50.0).abs() < 1.0, "{}", create.p50);
        assert!((create.p99 - 99.0).abs() < 1.0, "{}", create.p99);
        assert!((create.max - 100.0).abs() < 0.2);
        assert_eq!(create.buckets.iter().map(|b| b.1).sum::<u64>(), 100);
        assert_eq!(m.seats_sold, 2);
        assert_eq!(m.conflicts, 1);
        assert_eq!(m.errors["SEATS_UNAVAILABLE"], 1);
        assert!((m.confirmed_per_s - 0.5).abs() < 1e-9);
    }
}
