//! The demo chain: two cinemas in different time zones, five auditoriums with realistic layouts,
//! eight movies and a week of showtimes. Pure data, built as the admin API's JSON bodies.

use chrono::{DateTime, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;
use serde_json::{Value, json};

pub struct DemoCinema {
    pub body: Value,
    pub time_zone: Tz,
    pub currency: &'static str,
    /// Standard, premium, accessible seat prices in minor units.
    pub prices: (i64, i64, i64),
    pub auditoriums: Vec<Value>,
}

pub fn cinemas() -> Vec<DemoCinema> {
    vec![
        DemoCinema {
            body: json!({
                "name": "Lumière Spreeufer",
                "address": "Holzmarktstraße 25, 10243 Berlin, Germany",
                "time_zone": "Europe/Berlin",
            }),
            time_zone: chrono_tz::Europe::Berlin,
            currency: "EUR",
            prices: (1150, 1490, 950),
            auditoriums: vec![
                // A large hall whose rows widen towards the back as in a curved room.
                auditorium(
                    "Saal 1 — Grand",
                    &curved_rows(14, 16, 24),
                    &['H', 'I', 'J', 'K'],
                    2,
                ),
                auditorium("Saal 2", &curved_rows(10, 12, 16), &['G', 'H'], 1),
                // A small luxury room: every seat a premium recliner.
                auditorium(
                    "Salon",
                    &curved_rows(6, 8, 8),
                    &['A', 'B', 'C', 'D', 'E', 'F'],
                    1,
                ),
            ],
        },
        DemoCinema {
            body: json!({
                "name": "Paramount Riverside",
                "address": "200 N Riverside Plaza, Chicago, IL 60606, USA",
                "time_zone": "America/Chicago",
            }),
            time_zone: chrono_tz::America::Chicago,
            currency: "USD",
            prices: (1400, 1850, 1100),
            auditoriums: vec![
                auditorium(
                    "Screen 1 — Large Format",
                    &curved_rows(16, 20, 28),
                    &['J', 'K', 'L', 'M'],
                    2,
                ),
                auditorium("Screen 2", &curved_rows(8, 14, 14), &['E', 'F'], 1),
            ],
        },
    ]
}

/// Row labels `A…` with seat counts growing linearly from the front to the back.
fn curved_rows(rows: usize, front: u16, back: u16) -> Vec<(String, u16)> {
    (0..rows)
        .map(|i| {
            let label = char::from(b'A' + i as u8).to_string();
            let extra = if rows > 1 {
                (back - front) as usize * i / (rows - 1)
            } else {
                0
            };
            // Even counts keep the centre aisle-free block symmetric.
            let count = (front as usize + extra) as u16 & !1;
            (label, count.max(2))
        })
        .collect()
}

/// A layout with two aisles (after the first and third quarter of each row), the given premium
/// rows, and in the front row `wheelchair_places` accessible places at each end, each with a
/// standard companion seat beside it.
fn auditorium(
    name: &str,
    rows: &[(String, u16)],
    premium_rows: &[char],
    wheelchair_places: u16,
) -> Value {
    let rows: Vec<Value> = rows
        .iter()
        .enumerate()
        .map(|(index, (label, count))| {
            let premium = label
                .chars()
                .next()
                .is_some_and(|c| premium_rows.contains(&c));
            let seats: Vec<Value> = (1..=*count)
                .map(|number| {
                    let accessible = index == 0
                        && (number <= wheelchair_places * 2 && number % 2 == 1
                            || number > count - wheelchair_places * 2 && (count - number) % 2 == 0);
                    let seat_type = if accessible {
                        "accessible"
                    } else if premium {
                        "premium"
                    } else {
                        "standard"
                    };
                    json!({"number": number, "type": seat_type})
                })
                .collect();
            let quarter = count / 4;
            json!({"label": label, "seats": seats, "gaps_after": [quarter, count - quarter]})
        })
        .collect();
    json!({"name": name, "layout": {"rows": rows}})
}

pub fn movies() -> Vec<Value> {
    let movie = |title: &str,
                 runtime: i32,
                 rating: &str,
                 genres: &[&str],
                 released: &str,
                 synopsis: &str| {
        json!({
            "title": title,
            "runtime_minutes": runtime,
            "rating": rating,
            "genres": genres,
            "synopsis": synopsis,
            "poster_url": "",
            "release_date": released,
        })
    };
    vec![
        movie(
            "Nebula Drift",
            142,
            "PG-13",
            &["Science Fiction", "Adventure"],
            "2026-11-20",
            "A salvage crew finds a derelict ark drifting out of a dying nebula — and someone still aboard.",
        ),
        movie(
            "The Last Lighthouse",
            128,
            "PG-13",
            &["Drama"],
            "2026-10-30",
            "The keeper of the last manned lighthouse on the Atlantic coast has one winter to train her replacement.",
        ),
        movie(
            "Paper Tigers",
            101,
            "PG",
            &["Comedy"],
            "2026-11-06",
            "Three retired origami champions reunite for one final, ridiculous competition.",
        ),
        movie(
            "Midnight at the Alhambra",
            117,
            "R",
            &["Thriller", "Mystery"],
            "2026-11-13",
            "A night guard at a Granada palace hotel has until dawn to find out which guest is not who they claim.",
        ),
        movie(
            "The Cartographer's Daughter",
            134,
            "PG",
            &["Adventure", "Family"],
            "2026-09-25",
            "A map with a coastline that should not exist sends a girl and her grandfather across the Baltic.",
        ),
        movie(
            "Small Hours",
            96,
            "R",
            &["Drama"],
            "2026-10-16",
            "Two night-shift nurses, one long December night.",
        ),
        movie(
            "Clockwork Orchard",
            92,
            "G",
            &["Animation", "Family"],
            "2026-11-20",
            "In an orchard tended by clockwork gardeners, one small robot wants to grow something new.",
        ),
        movie(
            "Salt and Iron",
            149,
            "PG-13",
            &["History", "Drama"],
            "2026-08-28",
            "The salt miners of Wieliczka and the strike that changed a kingdom.",
        ),
    ]
}

/// Local start times of the daily shows: the longest movie plus cleaning fits between them.
const SLOTS: [(u32, u32); 3] = [(14, 0), (17, 15), (20, 30)];

/// A week of showtimes for one auditorium from `first_day` (the cinema's local date): three a
/// day, rotating through the movies so each auditorium shows a different mix. Shows that would
/// start within the next hour are left out.
pub fn showtimes(
    auditorium_index: usize,
    movie_ids: &[String],
    first_day: NaiveDate,
    tz: Tz,
    now: DateTime<Utc>,
) -> Vec<(String, DateTime<Utc>)> {
    let mut shows = Vec::new();
    for day in 0..7 {
        let date = first_day + Duration::days(day);
        for (slot, (hour, minute)) in SLOTS.iter().enumerate() {
            let Some(time) = NaiveTime::from_hms_opt(*hour, *minute, 0) else {
                continue;
            };
            let Some(local) = tz.from_local_datetime(&date.and_time(time)).earliest() else {
                continue;
            };
            let starts_at = local.with_timezone(&Utc);
            if starts_at < now + Duration::hours(1) {
                continue;
            }
            // The premiere (the first movie) plays the evening slot in every auditorium.
            let movie = if slot == 2 {
                0
            } else {
                (auditorium_index * 3 + day as usize * 2 + slot) % movie_ids.len()
            };
            shows.push((movie_ids[movie].clone(), starts_at));
        }
    }
    shows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_chain_has_the_promised_shape() {
        let cinemas = cinemas();
        assert_eq!(cinemas.len(), 2);
        assert_eq!(
            cinemas.iter().map(|c| c.auditoriums.len()).sum::<usize>(),
            5
        );
        assert_eq!(movies().len(), 8);
        let grand = &cinemas[0].auditoriums[0]["layout"]["rows"];
        let front = grand[0]["seats"].as_array().expect("seats");
        let back = grand[13]["seats"].as_array().expect("seats");
        assert!(back.len() > front.len(), "rows widen towards the back");
        let accessible = front.iter().filter(|s| s["type"] == "accessible").count();
        assert_eq!(accessible, 4);
        // Every accessible place has a standard companion seat right beside it.
        for (i, seat) in front.iter().enumerate() {
            if seat["type"] == "accessible" {
                let neighbours = [i.checked_sub(1), Some(i + 1)];
                assert!(
                    neighbours
                        .iter()
                        .flatten()
                        .any(|n| front.get(*n).is_some_and(|s| s["type"] == "standard"))
                );
            }
        }
        assert!(
            grand[8]["seats"]
                .as_array()
                .expect("seats")
                .iter()
                .all(|s| s["type"] == "premium")
        );
    }

    #[test]
    fn a_week_of_showtimes_never_overlaps_in_one_auditorium() {
        let ids: Vec<String> = (0..8).map(|i| i.to_string()).collect();
        let day = NaiveDate::from_ymd_opt(2026, 3, 28).expect("date");
        let now = Utc
            .with_ymd_and_hms(2026, 3, 1, 0, 0, 0)
            .single()
            .expect("now");
        let shows = showtimes(0, &ids, day, chrono_tz::Europe::Berlin, now);
        assert_eq!(shows.len(), 21);
        let longest = Duration::minutes(149 + 15);
        for pair in shows.windows(2) {
            assert!(pair[0].1 + longest <= pair[1].1, "{pair:?}");
        }
    }
}
