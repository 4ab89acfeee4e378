use std::io::{IsTerminal, Write};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Scenario;
use crate::scenario::Shared;

/// A one-line progress bar on a terminal; a line every five seconds otherwise (CI logs).
pub fn spawn(
    shared: Arc<Shared>,
    scenario: Scenario,
    total: Duration,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let started = Instant::now();
        let terminal = std::io::stderr().is_terminal();
        let every = if terminal {
            Duration::from_millis(500)
        } else {
            Duration::from_secs(5)
        };
        loop {
            tokio::time::sleep(every).await;
            let elapsed = started.elapsed();
            let done = (elapsed.as_secs_f64() / total.as_secs_f64()).min(1.0);
            let width = 30;
            let filled = (done * width as f64) as usize;
            let confirmed = shared.recorder.confirmed_so_far();
            let line = format!(
                "[{scenario:?}] [{}{}] {:>4.0}s/{:.0}s  confirmed {confirmed} ({:.1}/s)",
                "#".repeat(filled),
                "-".repeat(width - filled),
                elapsed.as_secs_f64(),
                total.as_secs_f64(),
                confirmed as f64 / elapsed.as_secs_f64().max(0.001),
            );
            let mut stderr = std::io::stderr();
            let _ = if terminal {
                write!(stderr, "\r{line}")
            } else {
                writeln!(stderr, "{line}")
            };
            let _ = stderr.flush();
        }
    })
}
