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
//!
//! When a kept answer has gone out of date, one request computes the new one and identical
//! requests arriving meanwhile wait for it ([`ResponseCache::turn`]) instead of each running
//! the executor: in a rush every hold retires the hot seat map's answer, and hundreds of
//! readers rendered the same ~500 seats side by side. A follower takes the new answer only if
//! it is current when the follower gets it; otherwise it computes its own. Bodies never seen
//! with a keepable answer (personal queries, mutations) never wait for each other.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};
use tokio::sync::watch;

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
    /// Bodies whose new answer is being computed; dropping the sender wakes the followers.
    computing: Mutex<HashMap<Bytes, watch::Sender<()>>>,
}

/// What a request found for its body.
#[derive(Debug)]
pub enum Lookup {
    /// A current answer: send it.
    Current(Bytes),
    /// A keepable answer that went out of date: worth computing once for everybody.
    OutOfDate,
    /// Nothing kept (never seen, personal, or the cache is off): compute.
    Unknown,
}

/// Whether this request computes the body's new answer or waits for the one that does.
#[derive(Debug)]
pub enum Turn<'a> {
    /// Compute and keep it; followers wake when this is dropped.
    Lead(Leading<'a>),
    /// Wait for the leader: `changed()` returns (with an error) once it is done.
    Follow(watch::Receiver<()>),
}

/// The leader's turn; ends (waking followers) when dropped, after the answer was kept.
#[derive(Debug)]
pub struct Leading<'a> {
    cache: &'a ResponseCache,
    body: Bytes,
}

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        let mut computing = self
            .cache
            .computing
            .lock()
            .unwrap_or_else(|p| p.into_inner());
        computing.remove(&self.body);
    }
}

impl ResponseCache {
    /// A zero `ttl` keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
            computing: Mutex::new(HashMap::new()),
        }
    }

    /// The kept answer to exactly this request body, if it is still current: `generation_of`
    /// tells a showtime's seat-map generation now (`CinemaClient::seat_map_generation`).
    pub fn get(&self, body: &[u8], generation_of: impl Fn(Uuid) -> Option<u64>) -> Option<Bytes> {
        match self.lookup(body, generation_of) {
            Lookup::Current(answer) => Some(answer),
            Lookup::OutOfDate | Lookup::Unknown => None,
        }
    }

    /// [`Self::get`], telling an answer that went out of date from none at all.
    pub fn lookup(&self, body: &[u8], generation_of: impl Fn(Uuid) -> Option<u64>) -> Lookup {
        if self.ttl.is_zero() || body.len() > MAX_KEY_BYTES {
            return Lookup::Unknown;
        }
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        let Some(entry) = entries.get(body) else {
            return Lookup::Unknown;
        };
        let current = entry.computed_at.elapsed() < self.ttl
            && entry
                .seat_maps
                .iter()
                .all(|(showtime, generation)| generation_of(*showtime) == Some(*generation));
        if current {
            Lookup::Current(entry.answer.clone())
        } else {
            Lookup::OutOfDate
        }
    }

    /// Leads the computation of `body`'s new answer, or follows the request already doing it.
    pub fn turn(&self, body: &Bytes) -> Turn<'_> {
        let mut computing = self.computing.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(leader) = computing.get(body) {
            return Turn::Follow(leader.subscribe());
        }
        computing.insert(body.clone(), watch::Sender::new(()));
        Turn::Lead(Leading {
            cache: self,
            body: body.clone(),
        })
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

    #[tokio::test]
    async fn one_request_recomputes_an_out_of_date_answer_while_identical_ones_wait_for_it() {
        let cache = ResponseCache::new(Duration::from_secs(60));
        let id = Uuid::now_v7();
        let body = Bytes::from_static(QUERY);
        cache.put(body.clone(), &showing(id, 1), Instant::now(), answer("old"));
        assert!(matches!(
            cache.lookup(QUERY, |_| Some(1)),
            Lookup::Current(_)
        ));
        assert!(matches!(
            cache.lookup(QUERY, |_| Some(2)),
            Lookup::OutOfDate
        ));
        assert!(matches!(cache.lookup(b"{}", |_| Some(2)), Lookup::Unknown));

        let Turn::Lead(leading) = cache.turn(&body) else {
            panic!("the first request leads");
        };
        let Turn::Follow(mut done) = cache.turn(&body) else {
            panic!("an identical request follows");
        };
        let waiting = tokio::spawn(async move { done.changed().await.is_err() });
        tokio::task::yield_now().await;
        assert!(!waiting.is_finished(), "the follower waits for the leader");
        cache.put(body.clone(), &showing(id, 2), Instant::now(), answer("new"));
        drop(leading);
        assert!(
            waiting.await.expect("follower"),
            "woken when the leader is done"
        );
        assert_eq!(cache.get(QUERY, |_| Some(2)), Some(answer("new")));
        assert!(
            matches!(cache.turn(&body), Turn::Lead(_)),
            "the next change has a new leader"
        );
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
