use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::{Invalid, SeatId, SeatType};

/// The most seats one auditorium may have: bigger than any real cinema hall, small enough that a
/// showtime's seat rows are created in one statement.
pub const MAX_SEATS: usize = 2000;

/// An auditorium's seat layout as staff enter it: rows front to back, each row's seats in
/// drawing order left to right (whatever their numbers: a row numbered right to left lists
/// 12, 11, …, 1), and gaps (aisles) after given seat numbers, for drawing the map. The seat
/// map keeps exactly this order, and an aisle is drawn to the right of the seat it follows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    pub rows: Vec<RowSpec>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RowSpec {
    pub label: String,
    pub seats: Vec<SeatSpec>,
    /// Seat numbers followed by an aisle: the seat drawn just left of it, in listed order.
    #[serde(default)]
    pub gaps_after: Vec<u16>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SeatSpec {
    pub number: u16,
    #[serde(rename = "type", default = "standard")]
    pub seat_type: SeatType,
}

/// Only the aisles of a stored layout: what the seat map needs to be drawn, decoded without
/// the seats (serde skips them), because it is read with every seat map.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct LayoutAisles {
    pub rows: Vec<RowAisles>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RowAisles {
    pub label: String,
    #[serde(default)]
    pub gaps_after: Vec<u16>,
}

impl LayoutAisles {
    /// Seat numbers followed by an aisle in the row with this label.
    pub fn gaps_after(&self, label: &str) -> &[u16] {
        self.rows
            .iter()
            .find(|r| r.label == label)
            .map_or(&[], |r| r.gaps_after.as_slice())
    }
}

fn standard() -> SeatType {
    SeatType::Standard
}

/// One seat of a validated layout, with its position for ordering the seat map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LayoutSeat {
    pub id: SeatId,
    pub seat_type: SeatType,
    pub position: i64,
}

impl Layout {
    /// Checks the layout and lists its seats in map order. Rejects an empty layout, more than
    /// [`MAX_SEATS`] seats, duplicate row labels or seat ids, and gaps after unknown seats.
    pub fn seats(&self) -> Result<Vec<LayoutSeat>, Invalid> {
        let mut labels = HashSet::new();
        let mut ids = HashSet::new();
        let mut seats = Vec::new();
        for row in &self.rows {
            if !labels.insert(row.label.as_str()) {
                return Err(Invalid::new(format!("row {:?} appears twice", row.label)));
            }
            if row.seats.is_empty() {
                return Err(Invalid::new(format!("row {:?} has no seats", row.label)));
            }
            for spec in &row.seats {
                // Name the row and seat: a layout has hundreds, staff must find the bad one.
                let id = SeatId::new(&row.label, spec.number).map_err(|e| {
                    Invalid::new(format!(
                        "row {:?}, seat {}: {}",
                        row.label, spec.number, e.0
                    ))
                })?;
                if !ids.insert(id.clone()) {
                    return Err(Invalid::new(format!("seat {id} appears twice")));
                }
                if seats.len() == MAX_SEATS {
                    return Err(Invalid::new(format!(
                        "a layout has at most {MAX_SEATS} seats"
                    )));
                }
                seats.push(LayoutSeat {
                    id,
                    seat_type: spec.seat_type,
                    position: seats.len() as i64,
                });
            }
            for gap in &row.gaps_after {
                if !row.seats.iter().any(|s| s.number == *gap) {
                    return Err(Invalid::new(format!(
                        "row {:?} has a gap after seat {gap}, which it does not have",
                        row.label
                    )));
                }
            }
        }
        if seats.is_empty() {
            return Err(Invalid::new("a layout needs at least one seat"));
        }
        Ok(seats)
    }

    /// A rectangular layout of standard seats, for tests, demos and benchmarks.
    pub fn grid(rows: usize, seats_per_row: u16) -> Self {
        let labels = ('A'..='Z')
            .map(String::from)
            .chain((1..).map(|n| format!("R{n}")));
        Self {
            rows: labels
                .take(rows)
                .map(|label| RowSpec {
                    label,
                    seats: (1..=seats_per_row)
                        .map(|number| SeatSpec {
                            number,
                            seat_type: SeatType::Standard,
                        })
                        .collect(),
                    gaps_after: Vec::new(),
                })
                .collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_grid_lists_its_seats_in_map_order() {
        let seats = Layout::grid(2, 3).seats().unwrap();
        let ids: Vec<String> = seats.iter().map(|s| s.id.to_string()).collect();
        assert_eq!(ids, ["A-1", "A-2", "A-3", "B-1", "B-2", "B-3"]);
        assert_eq!(seats[4].position, 4);
    }

    #[test]
    fn a_right_to_left_row_keeps_its_drawing_order() {
        let layout: Layout = serde_json::from_str(
            r#"{"rows":[{"label":"A","seats":[{"number":3},{"number":2},{"number":1}],"gaps_after":[3]}]}"#,
        )
        .unwrap();
        let seats = layout.seats().unwrap();
        let drawn: Vec<(String, i64)> = seats
            .iter()
            .map(|s| (s.id.to_string(), s.position))
            .collect();
        assert_eq!(
            drawn,
            [("A-3".into(), 0), ("A-2".into(), 1), ("A-1".into(), 2)]
        );
    }

    #[test]
    fn a_bad_seat_number_names_its_row_and_seat() {
        let mut layout = Layout::grid(2, 2);
        layout.rows[1].seats[1].number = 1000;
        let message = layout.seats().unwrap_err().0;
        assert!(
            message.contains("\"B\"") && message.contains("1000"),
            "{message}"
        );
    }

    #[test]
    fn an_empty_layout_is_invalid() {
        assert!(Layout { rows: vec![] }.seats().is_err());
        let empty_row = Layout {
            rows: vec![RowSpec {
                label: "A".into(),
                seats: vec![],
                gaps_after: vec![],
            }],
        };
        assert!(empty_row.seats().is_err());
    }

    #[test]
    fn duplicate_seats_and_rows_are_invalid() {
        let mut layout = Layout::grid(1, 2);
        layout.rows[0].seats[1].number = 1;
        assert!(layout.seats().unwrap_err().0.contains("A-1"));
        let mut layout = Layout::grid(2, 2);
        layout.rows[1].label = "A".into();
        assert!(layout.seats().is_err());
    }

    #[test]
    fn more_than_two_thousand_seats_is_invalid() {
        assert!(Layout::grid(40, 50).seats().is_ok());
        assert!(Layout::grid(41, 50).seats().is_err());
    }

    #[test]
    fn gaps_must_follow_existing_seats() {
        let mut layout = Layout::grid(1, 4);
        layout.rows[0].gaps_after = vec![2];
        assert!(layout.seats().is_ok());
        layout.rows[0].gaps_after = vec![9];
        assert!(layout.seats().is_err());
    }

    #[test]
    fn layouts_read_seat_types_from_json() {
        let layout: Layout = serde_json::from_str(
            r#"{"rows":[{"label":"A","seats":[{"number":1,"type":"premium"},{"number":2}]}]}"#,
        )
        .unwrap();
        let seats = layout.seats().unwrap();
        assert_eq!(seats[0].seat_type, SeatType::Premium);
        assert_eq!(seats[1].seat_type, SeatType::Standard);
        assert!(
            serde_json::from_str::<Layout>(
                r#"{"rows":[{"label":"A","seats":[{"number":1,"type":"vip"}]}]}"#
            )
            .is_err()
        );
    }
}
