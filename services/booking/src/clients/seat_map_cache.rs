//! Seat maps kept for a moment, so that an on-sale rush of readers costs the cinema service a
//! handful of seat-map queries per second per showtime instead of one per reader.
//!
//! Freshness rules (docs/adr/0502-booking-read-caches.md):
//! - a map is served at most `ttl` after it was fetched;
//! - every hold or confirm this instance makes is written into the kept map at once (the seats
//!   it took become HELD or SOLD), and every refused hold or release invalidates the map, so a
//!   customer always sees their own booking on the next read;
//! - a fetch that overlapped such a change is answered but not kept (a generation counter
//!   tells), so a map from before a change cannot outlive it.
//!
//! Readers that find no fresh map fetch side by side rather than queueing behind one fetch:
//! when every booking invalidates the hot showtime's map, a queue of fetches would make each
//! reader wait for all the fetches ahead of it (measured: seat map p50 from 30 to 67 ms).
//!
//! A map can thus trail changes made elsewhere (another booking instance, the hold sweeper) by
//! at most `ttl`. It never decides a sale: the cinema service checks every hold against its
//! own rows, so a stale map can only cost the customer a SEATS_UNAVAILABLE answer.
//!
//! Before a hold is asked for, its seats are *claimed* ([`SeatMapCache::try_claim`]): refused
//! at once if the fresh map shows one taken or another request of this instance is holding it
//! at this moment. In an on-sale rush most attempts are such losers, and each used to cost a
//! booking row, its log and a cinema transaction queued on the winner's row locks. The price is
//! that a claim whose hold then fails (the map was stale) turned its rivals away needlessly;
//! they try again on a fresh map.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use uuid::Uuid;

type Claimed = Arc<Mutex<HashSet<String>>>;

#[derive(Debug)]
struct Slot<V> {
    generation: AtomicU64,
    /// The map, when it was fetched and the generation it was fetched in.
    map: Mutex<Option<(Instant, u64, V)>>,
    /// Seats of holds this instance is asking for right now.
    claimed: Claimed,
}

/// Seats claimed for one hold in flight; given back when dropped, which the holder does once
/// the hold's outcome is in the map (or the map was invalidated).
#[derive(Debug)]
#[must_use = "the claim ends when dropped"]
pub struct Claim {
    claimed: Option<Claimed>,
    seats: Vec<String>,
}

impl Drop for Claim {
    fn drop(&mut self) {
        if let Some(claimed) = &self.claimed {
            let mut claimed = claimed.lock().unwrap_or_else(|p| p.into_inner());
            for seat in &self.seats {
                claimed.remove(seat);
            }
        }
    }
}

#[derive(Debug)]
pub struct SeatMapCache<V> {
    ttl: Duration,
    capacity: usize,
    slots: Mutex<HashMap<Uuid, Arc<Slot<V>>>>,
    /// Where the next new slot's generations start. Slots are dropped when the cache is full;
    /// a showtime's new slot must not reuse generations an answer kept elsewhere recorded for
    /// its old one, so each slot gets a range of its own.
    next_slot: AtomicU64,
}

/// Generations one slot may count through before it reaches the next slot's range.
const GENERATIONS_PER_SLOT: u64 = 1 << 32;

impl<V: Clone> SeatMapCache<V> {
    /// A zero `ttl` turns the cache off: every read fetches.
    pub fn new(ttl: Duration, capacity: usize) -> Self {
        Self {
            ttl,
            capacity: capacity.max(1),
            slots: Mutex::new(HashMap::new()),
            next_slot: AtomicU64::new(0),
        }
    }

    fn slot(&self, showtime: Uuid) -> Arc<Slot<V>> {
        let mut slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if slots.len() >= self.capacity && !slots.contains_key(&showtime) {
            // Showtimes nobody reads any more; whoever reads next fetches again.
            slots.clear();
        }
        slots
            .entry(showtime)
            .or_insert_with(|| {
                Arc::new(Slot {
                    generation: AtomicU64::new(
                        self.next_slot
                            .fetch_add(GENERATIONS_PER_SLOT, Ordering::Relaxed),
                    ),
                    map: Mutex::new(None),
                    claimed: Claimed::default(),
                })
            })
            .clone()
    }

    /// The showtime's map, fetched with `fetch` unless a fresh one is kept.
    pub async fn get_or_fetch<E, Fut>(
        &self,
        showtime: Uuid,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<V, E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        self.get_or_fetch_tracked(showtime, fetch)
            .await
            .map(|(map, _)| map)
    }

    /// [`Self::get_or_fetch`], with the generation the map belongs to: while
    /// [`Self::generation`] still answers the same, no change made through this instance
    /// happened since the map was read.
    pub async fn get_or_fetch_tracked<E, Fut>(
        &self,
        showtime: Uuid,
        fetch: impl FnOnce() -> Fut,
    ) -> Result<(V, u64), E>
    where
        Fut: Future<Output = Result<V, E>>,
    {
        if self.ttl.is_zero() {
            return fetch().await.map(|map| (map, 0));
        }
        let slot = self.slot(showtime);
        let generation = slot.generation.load(Ordering::Acquire);
        {
            let kept = slot.map.lock().unwrap_or_else(|p| p.into_inner());
            if let Some((fetched_at, kept_generation, map)) = kept.as_ref()
                && *kept_generation == generation
                && fetched_at.elapsed() < self.ttl
            {
                return Ok((map.clone(), generation));
            }
        }
        // Aged from when the fetch began: a slow fetch must not stretch the ttl.
        let asked_at = Instant::now();
        let map = fetch().await?;
        let mut kept = slot.map.lock().unwrap_or_else(|p| p.into_inner());
        // Kept only if no change happened since the fetch began, and never over a map that a
        // later fetch already put there.
        let newer_kept = kept.as_ref().is_some_and(|(_, g, _)| *g > generation);
        if slot.generation.load(Ordering::Acquire) == generation && !newer_kept {
            *kept = Some((asked_at, generation, map.clone()));
        }
        Ok((map, generation))
    }

    /// The showtime's current generation; None if nobody read its map lately (a map read
    /// then was under a slot that is gone, so it must count as changed).
    pub fn generation(&self, showtime: Uuid) -> Option<u64> {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        slots
            .get(&showtime)
            .map(|slot| slot.generation.load(Ordering::Acquire))
    }

    /// The kept map if it is fresh, without fetching: what this instance knows right now.
    pub fn fresh(&self, showtime: Uuid) -> Option<V> {
        if self.ttl.is_zero() {
            return None;
        }
        let slot = self
            .slots
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&showtime)?
            .clone();
        self.fresh_in(&slot)
    }

    /// Claims `seats` of `showtime` for a hold about to be asked for. Refused with the seats
    /// in the way when another request of this instance claims one of them now, or when
    /// `taken` finds them taken in the fresh kept map. With the cache off, nothing is claimed.
    pub fn try_claim(
        &self,
        showtime: Uuid,
        seats: &[String],
        taken: impl FnOnce(&V) -> Vec<String>,
    ) -> Result<Claim, Vec<String>> {
        if self.ttl.is_zero() {
            return Ok(Claim {
                claimed: None,
                seats: Vec::new(),
            });
        }
        let slot = self.slot(showtime);
        let mut claimed = slot.claimed.lock().unwrap_or_else(|p| p.into_inner());
        let mut in_the_way: Vec<String> = seats
            .iter()
            .filter(|seat| claimed.contains(*seat))
            .cloned()
            .collect();
        if let Some(map) = self.fresh_in(&slot) {
            for seat in taken(&map) {
                if !in_the_way.contains(&seat) {
                    in_the_way.push(seat);
                }
            }
        }
        if !in_the_way.is_empty() {
            return Err(in_the_way);
        }
        claimed.extend(seats.iter().cloned());
        Ok(Claim {
            claimed: Some(slot.claimed.clone()),
            seats: seats.to_vec(),
        })
    }

    fn fresh_in(&self, slot: &Slot<V>) -> Option<V> {
        let generation = slot.generation.load(Ordering::Acquire);
        let kept = slot.map.lock().unwrap_or_else(|p| p.into_inner());
        match kept.as_ref() {
            Some((fetched_at, kept_generation, map))
                if *kept_generation == generation && fetched_at.elapsed() < self.ttl =>
            {
                Some(map.clone())
            }
            _ => None,
        }
    }

    /// The showtime's seats changed through this instance in a way `change` can write into
    /// the kept map: a valid kept map is updated and stays valid (it still ages from its
    /// fetch); anything else is as [`Self::invalidate`]. Fetches that began before the change
    /// are not kept, as with an invalidation.
    pub fn patch(&self, showtime: Uuid, change: impl FnOnce(&mut V)) {
        let slot = {
            let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
            match slots.get(&showtime) {
                Some(slot) => slot.clone(),
                None => return,
            }
        };
        // The map's lock is held across the generation step, so a reader sees either the old
        // generation (and then a map it will not trust) or the new one with the patched map.
        let mut kept = slot.map.lock().unwrap_or_else(|p| p.into_inner());
        let before = slot.generation.fetch_add(1, Ordering::AcqRel);
        if let Some((_, kept_generation, map)) = kept.as_mut()
            && *kept_generation == before
        {
            change(map);
            *kept_generation = before + 1;
        }
    }

    /// The showtime's seats changed through this instance: the next read fetches.
    pub fn invalidate(&self, showtime: Uuid) {
        let slots = self.slots.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(slot) = slots.get(&showtime) {
            slot.generation.fetch_add(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicUsize;

    use super::*;

    fn counting(calls: &AtomicUsize, value: u32) -> impl Future<Output = Result<u32, ()>> + '_ {
        calls.fetch_add(1, Ordering::SeqCst);
        async move { Ok(value) }
    }

    /// A reader whose fetch has begun and waits for [`SlowFetch::finish`] to answer `value`.
    struct SlowFetch {
        release: tokio::sync::oneshot::Sender<()>,
        reader: tokio::task::JoinHandle<Result<u32, ()>>,
    }

    impl SlowFetch {
        async fn start(cache: &Arc<SeatMapCache<u32>>, id: Uuid, value: u32) -> Self {
            let (started_tx, started_rx) = tokio::sync::oneshot::channel::<()>();
            let (release, release_rx) = tokio::sync::oneshot::channel::<()>();
            let cache = cache.clone();
            let reader = tokio::spawn(async move {
                cache
                    .get_or_fetch(id, || async move {
                        let _ = started_tx.send(());
                        let _ = release_rx.await;
                        Ok::<_, ()>(value)
                    })
                    .await
            });
            started_rx.await.expect("fetch started");
            Self { release, reader }
        }

        async fn finish(self) -> Result<u32, ()> {
            self.release.send(()).expect("release");
            self.reader.await.expect("reader")
        }
    }

    #[tokio::test]
    async fn a_fresh_map_is_served_without_fetching() {
        let cache = SeatMapCache::new(Duration::from_secs(60), 10);
        let calls = AtomicUsize::new(0);
        let id = Uuid::now_v7();
        assert_eq!(cache.get_or_fetch(id, || counting(&calls, 1)).await, Ok(1));
        assert_eq!(cache.get_or_fetch(id, || counting(&calls, 2)).await, Ok(1));
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }

    #[tokio::test]
    async fn an_invalidated_map_is_fetched_again() {
        let cache = SeatMapCache::new(Duration::from_secs(60), 10);
        let calls = AtomicUsize::new(0);
        let id = Uuid::now_v7();
        cache.get_or_fetch(id, || counting(&calls, 1)).await.ok();
        cache.invalidate(id);
        assert_eq!(cache.get_or_fetch(id, || counting(&calls, 2)).await, Ok(2));
        assert_eq!(calls.load(Ordering::SeqCst), 2);
    }

    #[tokio::test]
    async fn a_map_lapses_after_its_ttl() {
        let cache = SeatMapCache::new(Duration::from_millis(30), 10);
        let calls = AtomicUsize::new(0);
        let id = Uuid::now_v7();
        cache.get_or_fetch(id, || counting(&calls, 1)).await.ok();
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(cache.get_or_fetch(id, || counting(&calls, 2)).await, Ok(2));
    }

    #[tokio::test]
    async fn a_fetch_that_overlapped_a_change_is_answered_but_not_kept() {
        let cache = Arc::new(SeatMapCache::new(Duration::from_secs(60), 10));
        let id = Uuid::now_v7();
        let fetch = SlowFetch::start(&cache, id, 1).await;
        cache.invalidate(id);
        assert_eq!(fetch.finish().await, Ok(1));
        let calls = AtomicUsize::new(0);
        assert_eq!(cache.get_or_fetch(id, || counting(&calls, 2)).await, Ok(2));
    }

    #[tokio::test]
    async fn a_patched_map_is_served_changed_without_fetching_and_moves_the_generation() {
        let cache = SeatMapCache::new(Duration::from_secs(60), 10);
        let calls = AtomicUsize::new(0);
        let id = Uuid::now_v7();
        let (_, before) = cache
            .get_or_fetch_tracked(id, || counting(&calls, 1))
            .await
            .expect("fetch");
        cache.patch(id, |map| *map += 10);
        assert_eq!(cache.fresh(id), Some(11));
        let (map, after) = cache
            .get_or_fetch_tracked(id, || counting(&calls, 2))
            .await
            .expect("read");
        assert_eq!((map, calls.load(Ordering::SeqCst)), (11, 1));
        assert_ne!(
            before, after,
            "answers built on the old map must not be reused"
        );
        assert_eq!(cache.generation(id), Some(after));
    }

    #[tokio::test]
    async fn a_patch_does_not_revive_an_invalidated_map_and_a_fetch_it_overlapped_is_not_kept() {
        let cache = Arc::new(SeatMapCache::new(Duration::from_secs(60), 10));
        let calls = AtomicUsize::new(0);
        let id = Uuid::now_v7();
        cache.get_or_fetch(id, || counting(&calls, 1)).await.ok();
        cache.invalidate(id);
        cache.patch(id, |map| *map += 10);
        assert_eq!(cache.fresh(id), None);

        let fetch = SlowFetch::start(&cache, id, 5).await;
        cache.patch(id, |map| *map += 10);
        assert_eq!(fetch.finish().await, Ok(5));
        assert_eq!(
            cache.fresh(id),
            None,
            "a map from before the change is not kept"
        );
    }

    #[tokio::test]
    async fn a_map_is_fresh_only_within_its_ttl() {
        let cache = SeatMapCache::new(Duration::from_millis(30), 10);
        let calls = AtomicUsize::new(0);
        let id = Uuid::now_v7();
        assert_eq!(cache.fresh(id), None);
        cache.get_or_fetch(id, || counting(&calls, 1)).await.ok();
        assert_eq!(cache.fresh(id), Some(1));
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert_eq!(cache.fresh(id), None);
    }

    #[tokio::test]
    async fn claimed_seats_turn_rivals_away_until_the_claim_ends() {
        let cache: SeatMapCache<u32> = SeatMapCache::new(Duration::from_secs(60), 10);
        let id = Uuid::now_v7();
        let seats = |s: &[&str]| s.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        let first = cache
            .try_claim(id, &seats(&["A-1", "A-2"]), |_| Vec::new())
            .expect("free");
        assert_eq!(
            cache
                .try_claim(id, &seats(&["A-2", "A-3"]), |_| Vec::new())
                .map(|_| ()),
            Err(seats(&["A-2"]))
        );
        let other = cache
            .try_claim(id, &seats(&["A-3"]), |_| Vec::new())
            .expect("A-3 is free");
        drop(first);
        drop(other);
        assert!(
            cache
                .try_claim(id, &seats(&["A-2", "A-3"]), |_| Vec::new())
                .is_ok()
        );
    }

    #[tokio::test]
    async fn a_claim_is_refused_for_seats_the_fresh_map_shows_taken_and_only_then() {
        let cache = SeatMapCache::new(Duration::from_millis(30), 10);
        let calls = AtomicUsize::new(0);
        let id = Uuid::now_v7();
        let taken = |_: &u32| vec!["B-1".to_owned()];
        let wanted = vec!["B-1".to_owned()];
        // No map kept yet: nothing to judge by, the cinema service decides.
        assert!(cache.try_claim(id, &wanted, taken).is_ok());
        cache.get_or_fetch(id, || counting(&calls, 1)).await.ok();
        assert_eq!(
            cache.try_claim(id, &wanted, taken).map(|_| ()),
            Err(wanted.clone())
        );
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(
            cache.try_claim(id, &wanted, taken).is_ok(),
            "a lapsed map judges nothing"
        );
    }

    #[tokio::test]
    async fn with_the_cache_off_nothing_is_claimed() {
        let cache: SeatMapCache<u32> = SeatMapCache::new(Duration::ZERO, 10);
        let id = Uuid::now_v7();
        let wanted = vec!["C-1".to_owned()];
        let _first = cache.try_claim(id, &wanted, |_| Vec::new()).expect("claim");
        assert!(cache.try_claim(id, &wanted, |_| Vec::new()).is_ok());
    }

    #[tokio::test]
    async fn a_showtime_dropped_for_room_comes_back_with_generations_it_never_had() {
        let cache = SeatMapCache::new(Duration::from_secs(60), 1);
        let calls = AtomicUsize::new(0);
        let (first, second) = (Uuid::now_v7(), Uuid::now_v7());
        let (_, before) = cache
            .get_or_fetch_tracked(first, || counting(&calls, 1))
            .await
            .expect("fetch");
        cache
            .get_or_fetch(second, || counting(&calls, 2))
            .await
            .ok();
        let (_, after) = cache
            .get_or_fetch_tracked(first, || counting(&calls, 3))
            .await
            .expect("fetch");
        assert_ne!(
            before, after,
            "an answer kept for the old slot must not match"
        );
    }

    #[tokio::test]
    async fn a_failed_fetch_keeps_nothing() {
        let cache = SeatMapCache::new(Duration::from_secs(60), 10);
        let id = Uuid::now_v7();
        let failed: Result<u32, &str> = cache.get_or_fetch(id, || async { Err("down") }).await;
        assert_eq!(failed, Err("down"));
        let calls = AtomicUsize::new(0);
        assert_eq!(cache.get_or_fetch(id, || counting(&calls, 3)).await, Ok(3));
    }
}
