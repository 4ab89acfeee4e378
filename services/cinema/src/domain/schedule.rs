//! Scheduling rules beyond one showtime: daily series, clashes, and local days.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{Invalid, Prices};

/// The most days one series may cover: two months of a run is what staff plan at once, and
/// it bounds the size of the one transaction that creates them.
pub const MAX_SERIES_DAYS: u32 = 60;

/// `POST /api/v1/admin/showtimes/series`: the same show at the same local time of the cinema on
/// `days` consecutive days.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeriesInput {
    pub movie_id: Uuid,
    pub auditorium_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub prices: Prices,
    pub days: u32,
}

impl SeriesInput {
    pub fn validate(&self) -> Result<(), Invalid> {
        if !(1..=MAX_SERIES_DAYS).contains(&self.days) {
            return Err(Invalid::new(format!(
                "days must be between 1 and {MAX_SERIES_DAYS}"
            )));
        }
        self.prices.validate()
    }

    /// The start of each showtime: the local wall-clock time of `starts_at` in the cinema's
    /// zone on each of the days, so a 20:00 show stays at 20:00 across a DST change (what a
    /// cinema advertises). A local time the change skips moves to the first minute after it.
    pub fn starts<Tz: TimeZone>(&self, tz: &Tz) -> Vec<DateTime<Utc>> {
        let local = self.starts_at.with_timezone(tz).naive_local();
        (0..i64::from(self.days))
            .map(|day| {
                let wall = local + Duration::days(day);
                (0..180)
                    .find_map(|minute| {
                        tz.from_local_datetime(&(wall + Duration::minutes(minute)))
                            .earliest()
                    })
                    .map_or(self.starts_at + Duration::days(day), |t| {
                        t.with_timezone(&Utc)
                    })
            })
            .collect()
    }
}

/// An existing showtime a new one would overlap, as staff need it to resolve the clash.
/// `ends_at` includes the cleaning time. `requested_starts_at` names the new showtime that
/// clashed when several were requested at once (a series).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Clash {
    pub id: Uuid,
    pub movie_id: Uuid,
    pub movie_title: String,
    pub auditorium_id: Uuid,
    pub auditorium_name: String,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested_starts_at: Option<DateTime<Utc>>,
}

/// The UTC instants `[from, to)` of one local calendar day in `tz`. Usually 24 hours; 23 or
/// 25 on a DST change. A zone that skips midnight starts the day at its first local minute.
pub fn local_day<Tz: TimeZone>(
    tz: &Tz,
    date: NaiveDate,
) -> Result<(DateTime<Utc>, DateTime<Utc>), Invalid> {
    let next = date
        .succ_opt()
        .ok_or_else(|| Invalid::new("date is out of range"))?;
    Ok((start_of_day(tz, date)?, start_of_day(tz, next)?))
}

fn start_of_day<Tz: TimeZone>(tz: &Tz, date: NaiveDate) -> Result<DateTime<Utc>, Invalid> {
    // A DST gap lasts at most a few hours; walk forward a minute at a time until the local
    // time exists (earliest() also settles an ambiguous midnight).
    (0..24 * 60)
        .filter_map(|minute| {
            let local = date.and_hms_opt(0, 0, 0)? + Duration::minutes(minute);
            tz.from_local_datetime(&local).earliest()
        })
        .map(|t| t.with_timezone(&Utc))
        .next()
        .ok_or_else(|| Invalid::new("date has no start in the cinema's time zone"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn series(days: u32) -> SeriesInput {
        SeriesInput {
            movie_id: Uuid::now_v7(),
            auditorium_id: Uuid::now_v7(),
            starts_at: "2030-03-30T18:00:00Z".parse().unwrap(),
            prices: Prices {
                currency: "EUR".into(),
                standard: 1000,
                premium: 1200,
                accessible: 800,
            },
            days,
        }
    }

    #[test]
    fn a_series_starts_once_a_day_at_the_same_utc_time_in_utc() {
        let starts = series(3).starts(&chrono_tz::UTC);
        let text: Vec<String> = starts.iter().map(|t| t.to_rfc3339()).collect();
        assert_eq!(
            text,
            [
                "2030-03-30T18:00:00+00:00",
                "2030-03-31T18:00:00+00:00",
                "2030-04-01T18:00:00+00:00"
            ]
        );
    }

    #[test]
    fn a_series_keeps_the_local_time_across_a_daylight_saving_change() {
        // Berlin moves to summer time in the night to 2030-03-31: 20:00 local is 19:00 UTC
        // before and 18:00 UTC after.
        let mut input = series(3);
        input.starts_at = "2030-03-30T19:00:00Z".parse().unwrap();
        let text: Vec<String> = input
            .starts(&chrono_tz::Europe::Berlin)
            .iter()
            .map(|t| t.to_rfc3339())
            .collect();
        assert_eq!(
            text,
            [
                "2030-03-30T19:00:00+00:00",
                "2030-03-31T18:00:00+00:00",
                "2030-04-01T18:00:00+00:00"
            ]
        );
    }

    #[test]
    fn a_series_covers_one_to_sixty_days() {
        assert!(series(0).validate().is_err());
        assert!(series(1).validate().is_ok());
        assert!(series(60).validate().is_ok());
        assert!(series(61).validate().is_err());
    }

    #[test]
    fn a_local_day_is_shorter_when_the_clocks_go_forward() {
        let berlin: chrono_tz::Tz = "Europe/Berlin".parse().unwrap();
        let (from, to) = local_day(&berlin, date(2030, 3, 31)).unwrap();
        assert_eq!(from.to_rfc3339(), "2030-03-30T23:00:00+00:00");
        assert_eq!(to.to_rfc3339(), "2030-03-31T22:00:00+00:00");
        let (from, to) = local_day(&chrono_tz::Tz::UTC, date(2030, 1, 1)).unwrap();
        assert_eq!(to - from, Duration::hours(24));
    }

    #[test]
    fn a_day_that_skips_midnight_starts_at_its_first_minute() {
        // Santiago moved its clocks from 00:00 to 01:00 on 2022-09-11.
        let santiago: chrono_tz::Tz = "America/Santiago".parse().unwrap();
        let (from, _) = local_day(&santiago, date(2022, 9, 11)).unwrap();
        assert_eq!(from.to_rfc3339(), "2022-09-11T04:00:00+00:00");
    }
}
