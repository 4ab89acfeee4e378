//! Reading a seat map and choosing seats the way people do: together, in the best rows.

use serde_json::Value;

use crate::rng::Rng;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeatMapRow {
    pub label: String,
    /// (seat id, number, available) left to right.
    pub seats: Vec<(String, i64, bool)>,
}

/// Parses `data.showtime.seatMap.rows` of the SEAT_MAP query.
pub fn parse_seat_map(data: &Value) -> Vec<SeatMapRow> {
    data["showtime"]["seatMap"]["rows"]
        .as_array()
        .map(|rows| {
            rows.iter()
                .map(|row| SeatMapRow {
                    label: row["label"].as_str().unwrap_or_default().to_owned(),
                    seats: row["seats"]
                        .as_array()
                        .map(|seats| {
                            seats
                                .iter()
                                .map(|s| {
                                    (
                                        s["id"].as_str().unwrap_or_default().to_owned(),
                                        s["number"].as_i64().unwrap_or_default(),
                                        s["status"] == "AVAILABLE",
                                    )
                                })
                                .collect()
                        })
                        .unwrap_or_default(),
                })
                .collect()
        })
        .unwrap_or_default()
}

pub fn available_count(rows: &[SeatMapRow]) -> usize {
    rows.iter()
        .map(|r| r.seats.iter().filter(|s| s.2).count())
        .sum()
}

/// Picks `group` adjacent available seats (consecutive numbers in one row). Rows are tried in
/// order of preference — about two thirds of the way back is the best view — with some noise
/// so that not everybody fights for exactly the same seats; a smaller group is tried if the
/// whole group no longer fits anywhere. None when the showtime is sold out.
pub fn pick_adjacent(rows: &[SeatMapRow], group: usize, rng: &mut Rng) -> Option<Vec<String>> {
    let best = (rows.len() as f64 * 0.66) as i64;
    let mut order: Vec<(i64, usize)> = (0..rows.len())
        .map(|i| ((i as i64 - best).abs() * 4 + rng.below(6) as i64, i))
        .collect();
    order.sort();
    for size in (1..=group.max(1)).rev() {
        for &(_, index) in &order {
            let runs = runs_of(&rows[index], size);
            if !runs.is_empty() {
                // Prefer the middle of the row, with noise.
                let middle = rows[index].seats.len() / 2;
                let pick = runs
                    .iter()
                    .min_by_key(|start| {
                        (**start as i64 + size as i64 / 2 - middle as i64).abs()
                            + rng.below(4) as i64
                    })
                    .copied()?;
                return Some(
                    rows[index].seats[pick..pick + size]
                        .iter()
                        .map(|s| s.0.clone())
                        .collect(),
                );
            }
        }
    }
    None
}

/// Start indexes of every run of `size` available seats with consecutive numbers.
fn runs_of(row: &SeatMapRow, size: usize) -> Vec<usize> {
    (0..row.seats.len().saturating_sub(size - 1))
        .filter(|&start| {
            let window = &row.seats[start..start + size];
            window.iter().all(|s| s.2) && window.windows(2).all(|w| w[1].1 == w[0].1 + 1)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(label: &str, available: &[bool]) -> SeatMapRow {
        SeatMapRow {
            label: label.into(),
            seats: available
                .iter()
                .enumerate()
                .map(|(i, a)| (format!("{label}-{}", i + 1), i as i64 + 1, *a))
                .collect(),
        }
    }

    #[test]
    fn a_group_gets_adjacent_seats_in_one_row() {
        let rows = vec![
            row("A", &[true; 6]),
            row("B", &[true, false, true, true, true, false]),
        ];
        let mut rng = Rng::seeded(7);
        for _ in 0..50 {
            let seats = pick_adjacent(&rows, 3, &mut rng).expect("fits");
            assert_eq!(seats.len(), 3);
            let label = &seats[0][..1];
            assert!(seats.iter().all(|s| s.starts_with(label)));
            let numbers: Vec<i64> = seats.iter().map(|s| s[2..].parse().expect("n")).collect();
            assert!(numbers.windows(2).all(|w| w[1] == w[0] + 1), "{seats:?}");
        }
    }

    #[test]
    fn the_group_shrinks_when_it_no_longer_fits_and_a_full_house_gives_none() {
        let rows = vec![row("A", &[true, false, true, false])];
        let mut rng = Rng::seeded(1);
        assert_eq!(pick_adjacent(&rows, 4, &mut rng).map(|s| s.len()), Some(1));
        let full = vec![row("A", &[false; 4])];
        assert_eq!(pick_adjacent(&full, 2, &mut rng), None);
    }

    #[test]
    fn seats_across_an_aisle_gap_in_numbers_are_not_adjacent() {
        let mut gapped = row("A", &[true; 4]);
        gapped.seats[2].1 = 10;
        gapped.seats[3].1 = 11;
        let mut rng = Rng::seeded(3);
        let seats = pick_adjacent(&[gapped], 3, &mut rng).expect("pair");
        assert_eq!(seats.len(), 2);
    }
}
