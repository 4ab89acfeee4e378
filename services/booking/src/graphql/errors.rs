//! One table from what went wrong to the GraphQL `extensions.code` clients switch on.

use async_graphql::{Error, ErrorExtensions};

use crate::saga::SagaError;

pub const UNAUTHENTICATED: &str = "UNAUTHENTICATED";
pub const FORBIDDEN: &str = "FORBIDDEN";
pub const NOT_FOUND: &str = "NOT_FOUND";
pub const BAD_USER_INPUT: &str = "BAD_USER_INPUT";
pub const SEATS_UNAVAILABLE: &str = "SEATS_UNAVAILABLE";
pub const HOLD_EXPIRED: &str = "HOLD_EXPIRED";
pub const PAYMENT_DECLINED: &str = "PAYMENT_DECLINED";
pub const RATE_LIMITED: &str = "RATE_LIMITED";
/// A customer's hold limit (ADR 0504); `extensions.limit` names it, `extensions.max` its value.
pub const HOLD_LIMIT: &str = "HOLD_LIMIT";
pub const PAYMENT_ATTEMPTS_EXCEEDED: &str = "PAYMENT_ATTEMPTS_EXCEEDED";
pub const INTERNAL: &str = "INTERNAL";

pub fn coded(code: &'static str, message: impl Into<String>) -> Error {
    Error::new(message).extend_with(|_, e| e.set("code", code))
}

pub fn unauthenticated() -> Error {
    coded(
        UNAUTHENTICATED,
        "sign in first: a valid bearer token is required",
    )
}

pub fn forbidden() -> Error {
    coded(FORBIDDEN, "your role may not do this")
}

/// Converts a failed result into a GraphQL error carrying its code. (A `From` impl is not
/// possible: async-graphql converts every `Display` type, without a code.)
pub trait Gql<T> {
    fn gql(self) -> async_graphql::Result<T>;
}

impl<T, E: Into<SagaError>> Gql<T> for Result<T, E> {
    fn gql(self) -> async_graphql::Result<T> {
        self.map_err(|e| to_error(e.into()))
    }
}

pub fn to_error(error: SagaError) -> Error {
    {
        match error {
            SagaError::BadInput(m) => coded(BAD_USER_INPUT, m),
            SagaError::Unauthenticated => unauthenticated(),
            SagaError::Forbidden => forbidden(),
            SagaError::NotFound => coded(NOT_FOUND, "not found"),
            SagaError::SeatsUnavailable(seats) => {
                Error::new(format!("seats unavailable: {}", seats.join(", "))).extend_with(
                    |_, e| {
                        e.set("code", SEATS_UNAVAILABLE);
                        e.set("seats", seats.clone());
                    },
                )
            }
            SagaError::HoldExpired(m) => coded(HOLD_EXPIRED, m),
            SagaError::PaymentDeclined(m) => coded(PAYMENT_DECLINED, m),
            SagaError::HoldLimit {
                limit,
                max,
                message,
            } => Error::new(message).extend_with(|_, e| {
                e.set("code", HOLD_LIMIT);
                e.set("limit", limit);
                e.set("max", max);
            }),
            SagaError::PaymentAttemptsExceeded(m) => coded(PAYMENT_ATTEMPTS_EXCEEDED, m),
            SagaError::Busy => coded(BAD_USER_INPUT, SagaError::Busy.to_string()),
            // Clear and fast, without internals: which dependency, and that it is safe to retry.
            SagaError::Unavailable(m) => coded(INTERNAL, m),
            SagaError::Internal(cause) => {
                tracing::error!(%cause, "booking request failed");
                coded(INTERNAL, "internal error")
            }
        }
    }
}
