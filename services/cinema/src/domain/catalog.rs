use chrono::{DateTime, Duration, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{Invalid, Prices};

/// Time to clean an auditorium between two shows; part of a showtime's end.
pub const CLEANING_TIME: Duration = Duration::minutes(15);

fn required(field: &str, value: &str, max: usize) -> Result<(), Invalid> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Invalid::new(format!("{field} must not be empty")));
    }
    if trimmed.chars().count() > max {
        return Err(Invalid::new(format!(
            "{field} must be at most {max} characters"
        )));
    }
    Ok(())
}

pub fn parse_time_zone(text: &str) -> Result<chrono_tz::Tz, Invalid> {
    text.parse::<chrono_tz::Tz>().map_err(|_| {
        Invalid::new(format!(
            "{text:?} is not an IANA time zone like Europe/Berlin"
        ))
    })
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CinemaInput {
    pub name: String,
    pub address: String,
    pub time_zone: String,
}

impl CinemaInput {
    pub fn validate(&self) -> Result<(), Invalid> {
        required("name", &self.name, 200)?;
        required("address", &self.address, 500)?;
        parse_time_zone(&self.time_zone).map(|_| ())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MovieInput {
    pub title: String,
    pub runtime_minutes: i32,
    #[serde(default)]
    pub rating: String,
    #[serde(default)]
    pub genres: Vec<String>,
    #[serde(default)]
    pub synopsis: String,
    #[serde(default)]
    pub poster_url: String,
    #[serde(default)]
    pub release_date: Option<NaiveDate>,
}

impl MovieInput {
    pub fn validate(&self) -> Result<(), Invalid> {
        required("title", &self.title, 300)?;
        // The longest films ever shown commercially run about 14 hours.
        if !(1..=900).contains(&self.runtime_minutes) {
            return Err(Invalid::new("runtime_minutes must be between 1 and 900"));
        }
        if self.genres.len() > 10
            || self
                .genres
                .iter()
                .any(|g| g.trim().is_empty() || g.len() > 50)
        {
            return Err(Invalid::new("genres: at most 10, each 1 to 50 characters"));
        }
        if self.rating.len() > 20 || self.synopsis.len() > 5000 {
            return Err(Invalid::new("rating or synopsis is too long"));
        }
        let url = self.poster_url.trim();
        let acceptable = url.is_empty()
            || url.starts_with("https://")
            || url.starts_with("http://")
            || url.starts_with('/');
        if !acceptable {
            return Err(Invalid::new("poster_url must be an http(s) URL or a path"));
        }
        Ok(())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShowtimeInput {
    pub movie_id: uuid::Uuid,
    pub auditorium_id: uuid::Uuid,
    pub starts_at: DateTime<Utc>,
    pub prices: Prices,
}

/// When an auditorium is busy with a showtime: from the start until the movie is over and the
/// room is clean again. Two windows in one auditorium must not overlap.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ShowtimeWindow {
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl ShowtimeWindow {
    pub fn new(starts_at: DateTime<Utc>, runtime_minutes: i32) -> Self {
        Self {
            starts_at,
            ends_at: starts_at + Duration::minutes(i64::from(runtime_minutes)) + CLEANING_TIME,
        }
    }

    /// Half-open intervals: a show may start the minute the previous one's cleaning ends.
    pub fn overlaps(&self, other: &ShowtimeWindow) -> bool {
        self.starts_at < other.ends_at && other.starts_at < self.ends_at
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(hour: u32, minute: u32) -> DateTime<Utc> {
        NaiveDate::from_ymd_opt(2026, 12, 1)
            .and_then(|d| d.and_hms_opt(hour, minute, 0))
            .map(|t| t.and_utc())
            .unwrap()
    }

    #[test]
    fn a_showtime_ends_after_runtime_and_cleaning() {
        let window = ShowtimeWindow::new(at(18, 0), 120);
        assert_eq!(window.ends_at, at(20, 15));
    }

    #[test]
    fn showtimes_overlap_unless_one_starts_after_the_other_is_clean() {
        let first = ShowtimeWindow::new(at(18, 0), 120);
        assert!(first.overlaps(&ShowtimeWindow::new(at(20, 14), 90)));
        assert!(first.overlaps(&ShowtimeWindow::new(at(17, 0), 90)));
        assert!(!first.overlaps(&ShowtimeWindow::new(at(20, 15), 90)));
        assert!(!first.overlaps(&ShowtimeWindow::new(at(16, 0), 45)));
    }

    #[test]
    fn cinemas_need_a_real_time_zone() {
        let mut cinema = CinemaInput {
            name: "Roxy".into(),
            address: "1 Main St".into(),
            time_zone: "Europe/Berlin".into(),
        };
        assert!(cinema.validate().is_ok());
        cinema.time_zone = "Mars/Olympus".into();
        assert!(cinema.validate().is_err());
        cinema.time_zone = "UTC".into();
        cinema.name = "  ".into();
        assert!(cinema.validate().is_err());
    }

    #[test]
    fn movies_need_a_title_and_a_sane_runtime() {
        let movie = MovieInput {
            title: "Heat".into(),
            runtime_minutes: 170,
            rating: "R".into(),
            genres: vec!["crime".into()],
            synopsis: String::new(),
            poster_url: String::new(),
            release_date: None,
        };
        assert!(movie.validate().is_ok());
        assert!(
            MovieInput {
                runtime_minutes: 0,
                ..movie.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            MovieInput {
                title: String::new(),
                ..movie.clone()
            }
            .validate()
            .is_err()
        );
        assert!(
            MovieInput {
                poster_url: "javascript:alert(1)".into(),
                ..movie
            }
            .validate()
            .is_err()
        );
    }
}
