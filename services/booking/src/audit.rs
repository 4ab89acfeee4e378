//! The booking store's own invariant for `boxoffice audit`: every check-in is of an existing
//! ticket, of the booking and showtime it names, and that booking is CONFIRMED (a ticket used
//! at the door is never refunded; ADR 0602).

use boxoffice_store::Database;
use uuid::Uuid;

/// What the audit reports for the check-ins.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckInAudit {
    pub checked: usize,
    pub violations: Vec<String>,
}

/// A check-in joined to its ticket and that ticket's booking (either may be missing).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct CheckInFacts {
    pub ticket_code: String,
    pub booking_id: Uuid,
    pub showtime_id: Uuid,
    pub ticket_booking: Option<Uuid>,
    pub booking_showtime: Option<Uuid>,
    pub booking_status: Option<String>,
}

const FACTS: &str = "SELECT c.ticket_code, c.booking_id, c.showtime_id, \
     t.booking_id AS ticket_booking, b.showtime_id AS booking_showtime, \
     b.status AS booking_status FROM check_ins c \
     LEFT JOIN tickets t ON t.code = c.ticket_code \
     LEFT JOIN bookings b ON b.id = t.booking_id";

/// Reads every check-in of the booking store and checks it.
pub async fn check_ins(database: &Database) -> Result<CheckInAudit, sqlx::Error> {
    let facts: Vec<CheckInFacts> = match database {
        Database::Postgres(pool) => sqlx::query_as(FACTS).fetch_all(pool).await?,
        Database::Sqlite(pool) => sqlx::query_as(FACTS).fetch_all(pool).await?,
    };
    Ok(CheckInAudit {
        checked: facts.len(),
        violations: facts.iter().filter_map(violation).collect(),
    })
}

/// What is wrong with one check-in, if anything.
pub fn violation(f: &CheckInFacts) -> Option<String> {
    let code = &f.ticket_code;
    let Some(ticket_booking) = f.ticket_booking else {
        return Some(format!("check-in of ticket {code}, which does not exist"));
    };
    if ticket_booking != f.booking_id {
        return Some(format!(
            "check-in of ticket {code} names booking {} but the ticket is of booking {ticket_booking}",
            f.booking_id
        ));
    }
    let (Some(showtime), Some(status)) = (f.booking_showtime, f.booking_status.as_deref()) else {
        return Some(format!(
            "check-in of ticket {code}: booking {ticket_booking} is missing"
        ));
    };
    if showtime != f.showtime_id {
        return Some(format!(
            "check-in of ticket {code} names showtime {} but its booking is of showtime {showtime}",
            f.showtime_id
        ));
    }
    (status != "CONFIRMED").then(|| {
        format!("ticket {code} was checked in but its booking {ticket_booking} is {status}")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn good() -> CheckInFacts {
        let (booking, showtime) = (Uuid::now_v7(), Uuid::now_v7());
        CheckInFacts {
            ticket_code: "T".into(),
            booking_id: booking,
            showtime_id: showtime,
            ticket_booking: Some(booking),
            booking_showtime: Some(showtime),
            booking_status: Some("CONFIRMED".into()),
        }
    }

    #[test]
    fn a_check_in_of_a_confirmed_booking_of_its_showtime_is_fine() {
        assert_eq!(violation(&good()), None);
    }

    #[test]
    fn refunded_missing_and_mismatched_check_ins_are_violations() {
        let refunded = CheckInFacts {
            booking_status: Some("REFUNDED".into()),
            ..good()
        };
        assert!(
            violation(&refunded)
                .expect("violation")
                .contains("REFUNDED")
        );
        let no_ticket = CheckInFacts {
            ticket_booking: None,
            booking_showtime: None,
            booking_status: None,
            ..good()
        };
        assert!(
            violation(&no_ticket)
                .expect("violation")
                .contains("does not exist")
        );
        let other_booking = CheckInFacts {
            ticket_booking: Some(Uuid::now_v7()),
            ..good()
        };
        assert!(violation(&other_booking).is_some());
        let other_showtime = CheckInFacts {
            showtime_id: Uuid::now_v7(),
            ..good()
        };
        assert!(
            violation(&other_showtime)
                .expect("violation")
                .contains("showtime")
        );
    }
}
