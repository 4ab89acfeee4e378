//! `boxoffice audit`: proves the promises across services by reading every store.
//!
//! - I1 no seat is sold twice: no (showtime, seat) in two CONFIRMED bookings; every SOLD seat
//!   belongs to exactly one CONFIRMED booking (through its hold) and every CONFIRMED booking's
//!   seats are SOLD to it; no HELD seat lingers past its expiry plus the sweep allowance.
//! - I2 money matches: per booking, captured − refunded equals the total for CONFIRMED and zero
//!   for every other settled status; no payment without a booking.
//! - I3 every outbox row is published, allowing a stated lag.
//! - I4 at most one notification per (event, channel).
//! - I5 no saga is left between steps for longer than a stated bound.
//!
//! Rows are loaded with plain SELECTs that both engines accept and checked in memory, so the
//! same audit runs on PostgreSQL and on the embedded SQLite files.

mod checks;
mod load;

use std::time::Duration;

use boxoffice_store::Database;
use serde::Serialize;

pub use checks::check;
pub use load::{Snapshot, load};

/// The stores to audit. Notifications are optional (not every deployment runs them).
pub struct Stores<'a> {
    pub booking: &'a Database,
    pub cinema: &'a Database,
    pub payments: &'a Database,
    pub notifications: Option<&'a Database>,
    /// Only its outbox is audited (I3).
    pub users: Option<&'a Database>,
}

/// The tolerances of the checks that depend on time.
#[derive(Debug, Clone, Copy)]
pub struct Allowances {
    /// How long an expired hold may stay HELD before the sweeper must have released it.
    pub sweep: Duration,
    /// How long an outbox row may wait for the relay.
    pub outbox_lag: Duration,
    /// How long a saga may sit between steps before recovery must have moved it.
    pub saga_stall: Duration,
}

impl Default for Allowances {
    fn default() -> Self {
        Self {
            sweep: Duration::from_secs(30),
            outbox_lag: Duration::from_secs(60),
            saga_stall: Duration::from_secs(300),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AuditError {
    #[error("reading {store}: {source}")]
    Read {
        store: &'static str,
        source: sqlx::Error,
    },
    #[error("{store} holds data the audit cannot read: {detail}")]
    Malformed { store: &'static str, detail: String },
}

/// One invariant's outcome.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub invariant: &'static str,
    pub description: &'static str,
    pub checked: usize,
    pub violations: Vec<String>,
}

impl Finding {
    pub fn ok(&self) -> bool {
        self.violations.is_empty()
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub ok: bool,
    pub findings: Vec<Finding>,
}

impl Report {
    /// A fixed-width table for terminals.
    pub fn table(&self) -> String {
        let mut out = String::from("invariant  checked  violations  description\n");
        for f in &self.findings {
            out.push_str(&format!(
                "{:<10} {:>8} {:>11}  {}\n",
                f.invariant,
                f.checked,
                f.violations.len(),
                f.description
            ));
            for v in f.violations.iter().take(20) {
                out.push_str(&format!("           - {v}\n"));
            }
            if f.violations.len() > 20 {
                out.push_str(&format!(
                    "           … and {} more\n",
                    f.violations.len() - 20
                ));
            }
        }
        out.push_str(if self.ok {
            "audit: OK\n"
        } else {
            "audit: VIOLATIONS FOUND\n"
        });
        out
    }
}

/// Loads every store and runs every check.
pub async fn run(stores: Stores<'_>, allowances: Allowances) -> Result<Report, AuditError> {
    let snapshot = load(&stores).await?;
    Ok(check(&snapshot, allowances, chrono::Utc::now()))
}
