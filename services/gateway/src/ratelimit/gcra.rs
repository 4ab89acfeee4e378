//! The generic cell rate algorithm on plain numbers, shared by the in-memory adapter and
//! mirrored line for line by the Redis script.
//!
//! State is one number per key, the theoretical arrival time (TAT): when the bucket would be
//! empty again if requests kept arriving at the allowed rate. A request is allowed when moving
//! the TAT one interval further keeps it within one period of now.

use std::time::Duration;

use super::{Decision, Quota};

/// Applies one request at `now` (µs) to a key whose stored TAT is `tat`. Returns the decision
/// and, when allowed, the TAT to store.
pub fn apply(tat: Option<u64>, now: u64, quota: Quota) -> (Decision, Option<u64>) {
    let interval = quota.interval_micros();
    let period = quota.period_micros();
    let tat = tat.unwrap_or(now).max(now);
    let new_tat = tat + interval;
    let allow_at = new_tat.saturating_sub(period);
    if now < allow_at {
        let decision = Decision {
            allowed: false,
            limit: quota.requests(),
            remaining: 0,
            retry_after: Duration::from_micros(allow_at - now),
            reset_after: Duration::from_micros(tat - now),
        };
        return (decision, None);
    }
    let used = new_tat - now;
    let remaining = (period.saturating_sub(used) / interval).min(u64::from(quota.requests()));
    let decision = Decision {
        allowed: true,
        limit: quota.requests(),
        remaining: u32::try_from(remaining).unwrap_or(0),
        retry_after: Duration::ZERO,
        reset_after: Duration::from_micros(used),
    };
    (decision, Some(new_tat))
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: u64 = 1_000_000;

    fn quota() -> Quota {
        Quota::new(3, Duration::from_secs(3))
    }

    #[test]
    fn the_whole_quota_can_be_spent_at_once_and_not_more() {
        let mut tat = None;
        for expected_remaining in [2, 1, 0] {
            let (decision, next) = apply(tat, 10 * SECOND, quota());
            assert!(decision.allowed);
            assert_eq!(decision.remaining, expected_remaining);
            tat = next;
        }
        let (decision, next) = apply(tat, 10 * SECOND, quota());
        assert!(!decision.allowed);
        assert_eq!(next, None);
        assert_eq!(decision.retry_after, Duration::from_secs(1));
        assert_eq!(decision.reset_after, Duration::from_secs(3));
    }

    #[test]
    fn one_interval_later_exactly_one_more_request_is_allowed() {
        let mut tat = None;
        for _ in 0..3 {
            tat = apply(tat, 10 * SECOND, quota()).1;
        }
        let (decision, next) = apply(tat, 11 * SECOND, quota());
        assert!(decision.allowed);
        assert_eq!(decision.remaining, 0);
        assert!(!apply(next, 11 * SECOND, quota()).0.allowed);
    }

    #[test]
    fn an_idle_key_gets_its_full_quota_back() {
        let mut tat = None;
        for _ in 0..3 {
            tat = apply(tat, 10 * SECOND, quota()).1;
        }
        let (decision, _) = apply(tat, 100 * SECOND, quota());
        assert!(decision.allowed);
        assert_eq!(decision.remaining, 2);
    }
}
