//! The gRPC APIs between boxoffice services, generated from `proto/` at build time.

#[allow(clippy::all, clippy::pedantic)]
pub mod cinema {
    pub mod v1 {
        tonic::include_proto!("boxoffice.cinema.v1");
    }
}

use prost::Message;

/// Encodes the seats a hold could not take, for the details of a FAILED_PRECONDITION status.
pub fn seats_unavailable_details(seat_ids: &[String]) -> Vec<u8> {
    cinema::v1::SeatsUnavailable {
        seat_ids: seat_ids.to_vec(),
    }
    .encode_to_vec()
}

/// The seats named by a HoldSeats conflict, if `status` is one.
pub fn unavailable_seats(status: &tonic::Status) -> Option<Vec<String>> {
    if status.code() != tonic::Code::FailedPrecondition || status.details().is_empty() {
        return None;
    }
    cinema::v1::SeatsUnavailable::decode(status.details())
        .ok()
        .map(|d| d.seat_ids)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conflict_details_round_trip() {
        let seats = vec!["A-1".to_owned(), "B-2".to_owned()];
        let status = tonic::Status::with_details(
            tonic::Code::FailedPrecondition,
            "seats unavailable",
            seats_unavailable_details(&seats).into(),
        );
        assert_eq!(unavailable_seats(&status), Some(seats));
        assert_eq!(unavailable_seats(&tonic::Status::not_found("x")), None);
    }
}
