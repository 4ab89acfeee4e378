//! The gRPC APIs between boxoffice services, generated from `proto/` at build time.

#[allow(clippy::all, clippy::pedantic)]
pub mod cinema {
    pub mod v1 {
        tonic::include_proto!("boxoffice.cinema.v1");
    }
}

use prost::Message;
use tonic::metadata::{AsciiMetadataValue, MetadataValue};
use tonic::service::Interceptor;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;

/// A channel to the cinema service that presents its service credential on every call
/// (ADR 0105).
pub type CinemaChannel = InterceptedService<Channel, Credential>;

/// Adds `authorization: Bearer <token>` to every request. The value is marked sensitive so
/// that it is never logged.
#[derive(Clone, Debug)]
pub struct Credential(Option<AsciiMetadataValue>);

impl Credential {
    /// A token that is not valid metadata (non-ASCII) sends nothing: the server then answers
    /// `UNAUTHENTICATED`, which names the problem.
    pub fn bearer(token: &str) -> Self {
        let value = MetadataValue::try_from(format!("Bearer {token}"))
            .ok()
            .map(|mut v| {
                v.set_sensitive(true);
                v
            });
        Self(value)
    }

    /// `channel` with this credential on every call.
    pub fn channel(self, channel: Channel) -> CinemaChannel {
        InterceptedService::new(channel, self)
    }
}

impl Interceptor for Credential {
    fn call(
        &mut self,
        mut request: tonic::Request<()>,
    ) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(value) = &self.0 {
            request
                .metadata_mut()
                .insert("authorization", value.clone());
        }
        Ok(request)
    }
}

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
