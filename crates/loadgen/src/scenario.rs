//! The virtual customers: what each one does, in a closed loop or arriving at a fixed rate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use boxoffice_client::{ApiClient, ClientError};
use serde_json::json;

use crate::gql;
use crate::rng::Rng;
use crate::seats::{available_count, parse_seat_map, pick_adjacent};
use crate::setup::Showtime;
use crate::stats::Recorder;

/// What one virtual customer may do, shared by every scenario.
pub struct Shared {
    pub showtimes: Vec<Showtime>,
    pub sold_out: Vec<AtomicBool>,
    /// Share of customers whose first card is declined.
    pub decline_share: f64,
    /// The largest party; each attempt wants 1..=max_group seats.
    pub max_group: usize,
    /// Probability that a customer goes for the first (best) showtime.
    pub favourite_share: f64,
    pub recorder: Recorder,
    pub deadline: Instant,
    /// The moviegoers' accounts, taken in turn: see `setup::accounts_needed`.
    accounts: Vec<ApiClient>,
    next_account: AtomicUsize,
    next_key: AtomicUsize,
}

impl Shared {
    pub fn new(
        showtimes: Vec<Showtime>,
        decline_share: f64,
        max_group: usize,
        favourite_share: f64,
        deadline: Instant,
        accounts: Vec<ApiClient>,
    ) -> Self {
        let sold_out = showtimes.iter().map(|_| AtomicBool::new(false)).collect();
        Self {
            showtimes,
            sold_out,
            decline_share,
            max_group,
            favourite_share,
            recorder: Recorder::new(),
            deadline,
            accounts,
            next_account: AtomicUsize::new(0),
            next_key: AtomicUsize::new(0),
        }
    }

    /// The next moviegoer in turn. A virtual customer is a till that serves one moviegoer per
    /// attempt: one person buying 500 seats would only measure the per-customer limits.
    fn next_account(&self) -> Option<&ApiClient> {
        if self.accounts.is_empty() {
            return None;
        }
        let turn = self.next_account.fetch_add(1, Ordering::Relaxed);
        Some(&self.accounts[turn % self.accounts.len()])
    }

    pub fn all_sold_out(&self) -> bool {
        self.sold_out.iter().all(|s| s.load(Ordering::Relaxed))
    }

    pub fn over(&self) -> bool {
        Instant::now() >= self.deadline || self.all_sold_out()
    }

    /// Most customers want the favourite showtime; the rest spread over the others.
    fn choose_showtime(&self, rng: &mut Rng) -> Option<usize> {
        let open: Vec<usize> = (0..self.showtimes.len())
            .filter(|i| !self.sold_out[*i].load(Ordering::Relaxed))
            .collect();
        if open.is_empty() {
            return None;
        }
        if open[0] == 0 && rng.chance(self.favourite_share) {
            return Some(0);
        }
        Some(open[rng.below(open.len())])
    }
}

/// How one booking attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    Confirmed,
    Conflict,
    SoldOut,
    Failed,
}

async fn timed(
    shared: &Shared,
    op: &'static str,
    client: &ApiClient,
    query: &str,
    variables: serde_json::Value,
) -> Result<serde_json::Value, ClientError> {
    let started = Instant::now();
    let result = client.graphql(query, variables).await;
    shared.recorder.latency(op, started.elapsed());
    result
}

fn error_code(error: &ClientError) -> String {
    match error {
        ClientError::GraphQl { code, .. } => code.clone(),
        ClientError::Status { status, .. } => format!("HTTP_{}", status.as_u16()),
        ClientError::Transport(_) => "TRANSPORT".into(),
        ClientError::Decode(_) => "DECODE".into(),
    }
}

/// Read the map, pick seats together, hold them, pay (maybe with a declined card first).
pub async fn booking_attempt(shared: &Shared, client: &ApiClient, rng: &mut Rng) -> Attempt {
    let Some(index) = shared.choose_showtime(rng) else {
        return Attempt::SoldOut;
    };
    let showtime = &shared.showtimes[index];
    let map = match timed(
        shared,
        "seatMap",
        client,
        gql::SEAT_MAP,
        json!({"id": showtime.id}),
    )
    .await
    {
        Ok(data) => parse_seat_map(&data),
        Err(e) => {
            shared.recorder.error(&error_code(&e));
            return Attempt::Failed;
        }
    };
    let group = 1 + rng.below(shared.max_group.max(1));
    let Some(seats) = pick_adjacent(&map, group, rng) else {
        if available_count(&map) == 0 {
            shared.sold_out[index].store(true, Ordering::Relaxed);
        }
        return Attempt::SoldOut;
    };
    shared.recorder.attempt();
    let created = timed(
        shared,
        "createBooking",
        client,
        gql::CREATE_BOOKING,
        json!({"input": {"showtimeId": showtime.id, "seatIds": seats}}),
    )
    .await;
    let booking_id = match created {
        Ok(data) => data["createBooking"]["id"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
        Err(e) if e.graphql_code() == Some("SEATS_UNAVAILABLE") => {
            shared.recorder.conflict();
            return Attempt::Conflict;
        }
        Err(e) => {
            shared.recorder.error(&error_code(&e));
            return Attempt::Failed;
        }
    };
    if rng.chance(shared.decline_share) {
        match pay(shared, client, &booking_id, gql::DECLINED_CARD).await {
            Err(e) if e.graphql_code() == Some("PAYMENT_DECLINED") => {}
            Err(e) => shared.recorder.error(&error_code(&e)),
            Ok(_) => shared.recorder.error("DECLINED_CARD_ACCEPTED"),
        }
    }
    match pay(shared, client, &booking_id, gql::GOOD_CARD).await {
        Ok(data) if data["payBooking"]["status"] == "CONFIRMED" => {
            shared.recorder.confirmed(seats.len());
            Attempt::Confirmed
        }
        Ok(_) => {
            shared.recorder.error("NOT_CONFIRMED");
            Attempt::Failed
        }
        Err(e) => {
            shared.recorder.error(&error_code(&e));
            Attempt::Failed
        }
    }
}

async fn pay(
    shared: &Shared,
    client: &ApiClient,
    booking_id: &str,
    card: &str,
) -> Result<serde_json::Value, ClientError> {
    let key = shared.next_key.fetch_add(1, Ordering::Relaxed);
    timed(
        shared,
        "payBooking",
        client,
        gql::PAY_BOOKING,
        json!({"input": {
            "bookingId": booking_id,
            "card": {"number": card, "expMonth": 12, "expYear": 2030, "cvc": "123"},
            "idempotencyKey": format!("{booking_id}-{key}"),
        }}),
    )
    .await
}

/// Browsing: the movie list, a showtime list or a seat map.
pub async fn read_attempt(shared: &Shared, client: &ApiClient, rng: &mut Rng) {
    let showtime = &shared.showtimes[rng.below(shared.showtimes.len())];
    let (op, query, variables) = match rng.below(10) {
        0 => ("movies", gql::MOVIES, json!({})),
        1..=2 => ("showtimes", gql::SHOWTIMES, json!({})),
        _ => ("seatMap", gql::SEAT_MAP, json!({"id": showtime.id})),
    };
    if let Err(e) = timed(shared, op, client, query, variables).await {
        shared.recorder.error(&error_code(&e));
    }
}

/// What each virtual customer does per iteration.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    Book,
    Read,
    /// Mostly browsing, one booking in `n`.
    Mixed {
        book_one_in: usize,
    },
}

async fn act(shared: &Shared, behaviour: Behaviour, rng: &mut Rng) -> Attempt {
    let Some(client) = shared.next_account() else {
        return Attempt::Failed;
    };
    match behaviour {
        Behaviour::Book => booking_attempt(shared, client, rng).await,
        Behaviour::Read => {
            read_attempt(shared, client, rng).await;
            Attempt::Failed
        }
        Behaviour::Mixed { book_one_in } => {
            if rng.below(book_one_in.max(1)) == 0 {
                booking_attempt(shared, client, rng).await
            } else {
                read_attempt(shared, client, rng).await;
                Attempt::Failed
            }
        }
    }
}

/// Every customer loops: act, then act again as soon as the answer is in.
pub async fn closed_loop(shared: Arc<Shared>, users: usize, behaviour: Behaviour) {
    let tasks: Vec<_> = (0..users)
        .map(|i| {
            let shared = shared.clone();
            tokio::spawn(async move {
                let mut rng = Rng::seeded(i as u64 + 1);
                while !shared.over() {
                    if act(&shared, behaviour, &mut rng).await == Attempt::Failed
                        && behaviour == Behaviour::Book
                    {
                        // A failing system should not be hammered by a tight retry loop.
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                }
            })
        })
        .collect();
    futures::future::join_all(tasks).await;
}

/// Customers arrive at `rate` per second whatever happens to earlier ones, so slow answers
/// show up as latency instead of as fewer requests (no coordinated omission). Arrivals beyond
/// `max_in_flight` are counted as dropped.
pub async fn open_loop(shared: Arc<Shared>, behaviour: Behaviour, rate: f64, max_in_flight: usize) {
    let interval = Duration::from_secs_f64(1.0 / rate.max(0.001));
    let in_flight = Arc::new(AtomicUsize::new(0));
    let mut ticker = tokio::time::interval(interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut arrivals = 0usize;
    let mut tasks = Vec::new();
    while !shared.over() {
        // The tick's scheduled time, not when it was delivered: lateness counts as latency.
        let scheduled = ticker.tick().await;
        arrivals += 1;
        if in_flight.load(Ordering::Relaxed) >= max_in_flight {
            shared.recorder.error("DROPPED_ARRIVAL");
            continue;
        }
        let shared = shared.clone();
        let in_flight = in_flight.clone();
        in_flight.fetch_add(1, Ordering::Relaxed);
        tasks.push(tokio::spawn(async move {
            let mut rng = Rng::seeded(arrivals as u64);
            act(&shared, behaviour, &mut rng).await;
            shared
                .recorder
                .latency("arrivalToDone", scheduled.elapsed());
            in_flight.fetch_sub(1, Ordering::Relaxed);
        }));
    }
    futures::future::join_all(tasks).await;
}
