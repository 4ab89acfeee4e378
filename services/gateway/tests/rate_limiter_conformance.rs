//! The same behaviour from both adapters of the rate-limit port.

use std::sync::Arc;
use std::time::{Duration, Instant};

use boxoffice_gateway::ratelimit::{MemoryRateLimiter, Quota, RateLimiter, RedisRateLimiter};

fn adapters() -> Vec<(&'static str, Arc<dyn RateLimiter>)> {
    let prefix = format!("bo_test_gateway:{}:", uuid::Uuid::now_v7());
    let redis = RedisRateLimiter::new("redis://127.0.0.1:6379", &prefix, Duration::from_secs(2))
        .expect("redis client");
    vec![
        ("memory", Arc::new(MemoryRateLimiter::new())),
        ("redis", Arc::new(redis)),
    ]
}

#[tokio::test]
async fn a_burst_uses_the_quota_then_is_refused_with_the_refill_delay() {
    for (name, limiter) in adapters() {
        let quota = Quota::new(5, Duration::from_secs(50));
        for remaining in (0..5).rev() {
            let decision = limiter.check("burst", quota).await.expect("check");
            assert!(decision.allowed, "{name}");
            assert_eq!(decision.remaining, remaining, "{name}");
            assert_eq!(decision.limit, 5, "{name}");
        }
        let refused = limiter.check("burst", quota).await.expect("check");
        assert!(!refused.allowed, "{name}");
        assert_eq!(refused.remaining, 0, "{name}");
        let retry = refused.retry_after;
        assert!(
            retry > Duration::from_secs(9) && retry <= Duration::from_secs(10),
            "{name}: {retry:?}"
        );
        assert!(refused.reset_after > Duration::from_secs(49), "{name}");
    }
}

#[tokio::test]
async fn keys_have_independent_budgets() {
    for (name, limiter) in adapters() {
        let quota = Quota::new(1, Duration::from_secs(60));
        assert!(
            limiter.check("a", quota).await.expect("check").allowed,
            "{name}"
        );
        assert!(
            !limiter.check("a", quota).await.expect("check").allowed,
            "{name}"
        );
        assert!(
            limiter.check("b", quota).await.expect("check").allowed,
            "{name}"
        );
    }
}

#[tokio::test]
async fn the_budget_refills_at_the_quota_rate() {
    for (name, limiter) in adapters() {
        let quota = Quota::new(2, Duration::from_millis(400));
        limiter.check("refill", quota).await.expect("check");
        limiter.check("refill", quota).await.expect("check");
        let refused = limiter.check("refill", quota).await.expect("check");
        assert!(!refused.allowed, "{name}");
        // Poll rather than sleep a fixed time: allowed again within a few refill intervals.
        let deadline = Instant::now() + Duration::from_secs(5);
        loop {
            if limiter.check("refill", quota).await.expect("check").allowed {
                break;
            }
            assert!(Instant::now() < deadline, "{name}: never refilled");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn concurrent_requests_never_overspend_the_budget() {
    for (name, limiter) in adapters() {
        let quota = Quota::new(10, Duration::from_secs(60));
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let limiter = limiter.clone();
                tokio::spawn(async move { limiter.check("race", quota).await })
            })
            .collect();
        let mut allowed = 0;
        for task in tasks {
            if task.await.expect("join").expect("check").allowed {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 10, "{name}");
    }
}
