//! Whole answers to public queries, kept as long as the seat maps they show (ADR 0502).
//!
//! During an on-sale most requests are the same few seat-map queries. Once a query's answer
//! is known to depend only on public data (catalog entries by id, seat maps), the next
//! identical request body gets the same bytes without running the GraphQL executor — which
//! builds ~500 seat objects field by field and was the largest cost of a read.
//!
//! What makes an answer public is decided while it is computed: a [`Tracker`] rides along with
//! the request, every seat map read records its showtime and generation, and everything that
//! is personal (the caller, their bookings, any mutation) or a list (which could grow at any
//! moment) marks the answer as not to be kept. Answers with errors are never kept.
//!
//! A kept answer is served while it is younger than the seat-map time (250 ms by default) and
//! every seat map it showed still has the generation it was read at, so a change made through
//! this instance shows on the next read, exactly as with the seat-map cache itself.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use axum::body::Bytes;
use uuid::Uuid;

/// Bodies larger than this are not kept: real clients send short queries with variables.
const MAX_KEY_BYTES: usize = 4 * 1024;
/// Larger answers are not kept (a 1,000-seat map is ~70 KB).
const MAX_ANSWER_BYTES: usize = 256 * 1024;
/// Answers kept at most: bounds the memory to entries × (key + answer).
const MAX_ENTRIES: usize = 256;

/// What one request's answer depended on.
#[derive(Debug, Default)]
pub struct Tracker {
    personal: AtomicBool,
    seat_maps: Mutex<Vec<(Uuid, u64)>>,
}

impl Tracker {
    /// The answer depends on who asks, changes state, or lists what may have grown.
    pub fn not_shareable(&self) {
        self.personal.store(true, Ordering::Release);
    }

    /// The answer shows this showtime's seat map as of `generation`.
    pub fn seat_map(&self, showtime: Uuid, generation: u64) {
        let mut seat_maps = self.seat_maps.lock().unwrap_or_else(|p| p.into_inner());
        seat_maps.push((showtime, generation));
    }

    fn shareable(&self) -> bool {
        !self.personal.load(Ordering::Acquire)
    }
}

#[derive(Debug)]
struct Entry {
    computed_at: Instant,
    seat_maps: Vec<(Uuid, u64)>,
    answer: Bytes,
}

#[derive(Debug)]
pub struct ResponseCache {
    ttl: Duration,
    entries: Mutex<HashMap<Bytes, Entry>>,
}

impl ResponseCache {
    /// A zero `ttl` keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// The kept answer to exactly this request body, if it is still current: `generation_of`
    /// tells a showtime's seat-map generation now (`CinemaClient::seat_map_generation`).
    pub fn get(&self, body: &[u8], generation_of: impl Fn(Uuid) -> Option<u64>) -> Option<Bytes> {
        if self.ttl.is_zero() || body.len() > MAX_KEY_BYTES {
            return None;
        }
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let entry = entries.get(body)?;
        let current = entry.computed_at.elapsed() < self.ttl
            && entry
                .seat_maps
                .iter()
                .all(|(showtime, generation)| generation_of(*showtime) == Some(*generation));
        current.then(|| entry.answer.clone())
    }

    /// Keeps `answer` for `body` if `tracker` found nothing personal in it. `started` is when
    /// the request began executing: the answer is aged from then.
    pub fn put(&self, body: Bytes, tracker: &Tracker, started: Instant, answer: Bytes) {
        if self.ttl.is_zero()
            || body.len() > MAX_KEY_BYTES
            || answer.len() > MAX_ANSWER_BYTES
            || !tracker.shareable()
        {
            return;
        }
        let seat_maps = tracker
            .seat_maps
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&body) {
            entries.retain(|_, e| e.computed_at.elapsed() < self.ttl);
            if entries.len() >= MAX_ENTRIES {
                entries.clear();
            }
        }
        entries.insert(
            body,
            Entry {
                computed_at: started,
                seat_maps,
                answer,
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUERY: &[u8] = br#"{"query":"{ showtime(id: \"x\") { seatMap { rows { label } } } }"}"#;

    fn answer(text: &str) -> Bytes {
        Bytes::from(text.to_owned())
    }

    fn showing(showtime: Uuid, generation: u64) -> Tracker {
        let tracker = Tracker::default();
        tracker.seat_map(showtime, generation);
        tracker
    }

    #[test]
    fn a_public_answer_is_given_again_for_the_same_body_only() {
        let cache = ResponseCache::new(Duration::from_secs(60));
        let showtime = Uuid::now_v7();
        let tracker = showing(showtime, 3);
        cache.put(
            Bytes::from_static(QUERY),
            &tracker,
            Instant::now(),
            answer("map"),
        );
        assert_eq!(cache.get(QUERY, |_| Some(3)), Some(answer("map")));
        assert_eq!(
            cache.get(b"{\"query\":\"{ movies { id } }\"}", |_| Some(3)),
            None
        );
    }

    #[test]
    fn a_personal_answer_is_never_kept() {
        let cache = ResponseCache::new(Duration::from_secs(60));
        let tracker = Tracker::default();
        tracker.not_shareable();
        cache.put(
            Bytes::from_static(QUERY),
            &tracker,
            Instant::now(),
            answer("mine"),
        );
        assert_eq!(cache.get(QUERY, |_| Some(0)), None);
    }

    #[test]
    fn a_seat_change_through_this_instance_retires_the_answer() {
        let cache = ResponseCache::new(Duration::from_secs(60));
        let showtime = Uuid::now_v7();
        cache.put(
            Bytes::from_static(QUERY),
            &showing(showtime, 3),
            Instant::now(),
            answer("map"),
        );
        assert_eq!(cache.get(QUERY, |_| Some(4)), None, "generation moved on");
        assert_eq!(cache.get(QUERY, |_| None), None, "map no longer kept");
    }

    #[test]
    fn an_answer_lapses_with_the_seat_map_time_counted_from_its_start() {
        let cache = ResponseCache::new(Duration::from_millis(50));
        let showtime = Uuid::now_v7();
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(60));
        cache.put(
            Bytes::from_static(QUERY),
            &showing(showtime, 1),
            started,
            answer("map"),
        );
        assert_eq!(cache.get(QUERY, |_| Some(1)), None);
    }

    #[test]
    fn oversized_bodies_and_a_zero_time_keep_nothing() {
        let big = Bytes::from(vec![b' '; MAX_KEY_BYTES + 1]);
        let cache = ResponseCache::new(Duration::from_secs(60));
        cache.put(
            big.clone(),
            &Tracker::default(),
            Instant::now(),
            answer("x"),
        );
        assert_eq!(cache.get(&big, |_| Some(0)), None);
        let off = ResponseCache::new(Duration::ZERO);
        off.put(
            Bytes::from_static(QUERY),
            &Tracker::default(),
            Instant::now(),
            answer("x"),
        );
        assert_eq!(off.get(QUERY, |_| Some(0)), None);
    }

    #[test]
    fn the_number_of_kept_answers_is_bounded() {
        let cache = ResponseCache::new(Duration::from_secs(60));
        for i in 0..(MAX_ENTRIES * 3) {
            let body = Bytes::from(format!("{{\"query\":\"q{i}\"}}"));
            cache.put(body, &Tracker::default(), Instant::now(), answer("x"));
            let kept = cache.entries.lock().map(|e| e.len()).unwrap_or(0);
            assert!(kept <= MAX_ENTRIES, "{kept}");
        }
    }
}
