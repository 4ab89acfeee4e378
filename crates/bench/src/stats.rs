//! Latency summaries from HDR histograms.

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::BenchError;

/// Latencies in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Latency {
    pub p50_us: u64,
    pub p90_us: u64,
    pub p99_us: u64,
    pub max_us: u64,
}

/// Up to one minute at 3 significant digits: anything slower is a failure anyway.
pub(crate) fn histogram() -> Result<Histogram<u64>, BenchError> {
    Histogram::new_with_bounds(1, 60_000_000, 3).map_err(|e| BenchError::Measure(e.to_string()))
}

impl Latency {
    pub(crate) fn of(h: &Histogram<u64>) -> Self {
        Self {
            p50_us: h.value_at_quantile(0.50),
            p90_us: h.value_at_quantile(0.90),
            p99_us: h.value_at_quantile(0.99),
            max_us: h.max(),
        }
    }

    /// Microseconds as milliseconds with two decimals, for tables.
    pub fn ms(us: u64) -> String {
        format!("{:.2}", us as f64 / 1000.0)
    }
}
