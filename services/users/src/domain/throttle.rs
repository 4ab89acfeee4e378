//! The per-account login throttle (ADR 0504): a growing delay after repeated failures, keyed
//! by the address typed in, whether or not an account has it.

use std::time::Duration;

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};

/// When sign-ins for one address start to be delayed and how fast the delay grows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottlePolicy {
    /// Attempts allowed back to back; the one that reaches this count starts the first delay.
    pub free_attempts: u32,
    /// The first delay; each further failed attempt doubles it.
    pub base_delay: Duration,
    pub max_delay: Duration,
    /// Failures older than this (counted from the last one) are forgotten.
    pub window: Duration,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            free_attempts: 5,
            base_delay: Duration::from_secs(1),
            max_delay: Duration::from_secs(15 * 60),
            window: Duration::from_secs(60 * 60),
        }
    }
}

/// What the store keeps per address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ThrottleState {
    /// Attempts since the last success (or since the window ran out), including any in flight.
    pub failures: u32,
    pub last_attempt_at: DateTime<Utc>,
    pub locked_until: Option<DateTime<Utc>>,
}

impl ThrottlePolicy {
    /// The delay that the `n`th attempt (1-based) imposes on the next one, if any.
    fn delay_after(&self, n: u32) -> Option<Duration> {
        let over = n.checked_sub(self.free_attempts.max(1))?;
        let factor = 2u32.checked_pow(over.min(31)).unwrap_or(u32::MAX);
        Some(self.base_delay.saturating_mul(factor).min(self.max_delay))
    }

    /// Admits an attempt at `now` (the new state to store: it is counted as a failure until it
    /// succeeds) or refuses it until the returned time. Refused attempts count for nothing, so
    /// hammering a locked address does not lengthen its delay for the real owner.
    pub fn admit(
        &self,
        state: Option<ThrottleState>,
        now: DateTime<Utc>,
    ) -> Result<ThrottleState, DateTime<Utc>> {
        if let Some(until) = state.and_then(|s| s.locked_until).filter(|u| *u > now) {
            return Err(until);
        }
        let window = chrono::Duration::from_std(self.window).unwrap_or(chrono::Duration::MAX);
        let failures = match state {
            Some(s) if now - s.last_attempt_at <= window => s.failures,
            _ => 0,
        }
        .saturating_add(1);
        let locked_until = self
            .delay_after(failures)
            .and_then(|d| chrono::Duration::from_std(d).ok())
            .map(|d| {
                now.checked_add_signed(d)
                    .unwrap_or(DateTime::<Utc>::MAX_UTC)
            });
        Ok(ThrottleState {
            failures,
            last_attempt_at: now,
            locked_until,
        })
    }
}

/// The throttle's key for what was typed as the email: SHA-256 of it trimmed and lower-cased
/// (what `Email::parse` normalizes to), so the table never holds the addresses people typed.
pub fn throttle_key(typed_email: &str) -> String {
    let digest = Sha256::digest(typed_email.trim().to_lowercase().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> ThrottlePolicy {
        ThrottlePolicy {
            free_attempts: 3,
            base_delay: Duration::from_secs(2),
            max_delay: Duration::from_secs(10),
            window: Duration::from_secs(100),
        }
    }

    #[test]
    fn the_attempt_reaching_the_free_count_starts_a_doubling_delay_up_to_the_cap() {
        let p = policy();
        let t0 = Utc::now();
        let mut state = None;
        let mut locks = Vec::new();
        let mut now = t0;
        for _ in 0..6 {
            let s = p.admit(state, now).expect("admitted");
            locks.push(s.locked_until.map(|u| (u - now).num_seconds()));
            now = s.locked_until.unwrap_or(now);
            state = Some(s);
        }
        assert_eq!(locks, [None, None, Some(2), Some(4), Some(8), Some(10)]);
    }

    #[test]
    fn a_locked_address_is_refused_without_counting_the_attempt() {
        let p = policy();
        let now = Utc::now();
        let locked = ThrottleState {
            failures: 3,
            last_attempt_at: now,
            locked_until: Some(now + chrono::Duration::seconds(2)),
        };
        assert_eq!(
            p.admit(Some(locked), now),
            Err(now + chrono::Duration::seconds(2))
        );
        let later = p
            .admit(Some(locked), now + chrono::Duration::seconds(2))
            .expect("admitted once the delay is over");
        assert_eq!(later.failures, 4);
    }

    #[test]
    fn failures_older_than_the_window_are_forgotten() {
        let p = policy();
        let now = Utc::now();
        let old = ThrottleState {
            failures: 9,
            last_attempt_at: now - chrono::Duration::seconds(101),
            locked_until: None,
        };
        assert_eq!(p.admit(Some(old), now).map(|s| s.failures), Ok(1));
    }

    #[test]
    fn the_key_ignores_case_and_surrounding_space_and_hides_the_address() {
        assert_eq!(
            throttle_key(" Ann@Example.com "),
            throttle_key("ann@example.com")
        );
        assert!(!throttle_key("ann@example.com").contains("ann"));
    }
}
