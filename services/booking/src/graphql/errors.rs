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
/// Over the request's cost budget or answer-size cap (ADR 0503); refused before it runs.
pub const QUERY_TOO_COMPLEX: &str = "QUERY_TOO_COMPLEX";

/// What an INTERNAL error really was: kept on the error as its (never serialised) source, so
/// the log gets it and the client does not (see [`sanitize`]).
#[derive(Debug, Clone)]
pub struct Cause(pub String);

/// An INTERNAL error whose `message` is safe to show (it names no host, port or driver) and
/// whose `cause` is logged with the request id.
pub fn internal(message: impl Into<String>, cause: impl std::fmt::Display) -> Error {
    let mut error = coded(INTERNAL, message);
    error.source = Some(std::sync::Arc::new(Cause(cause.to_string())));
    error
}

/// A dependency that did not answer: which one, and that it is safe to retry.
pub fn unavailable(service: &str, cause: impl std::fmt::Display) -> Error {
    internal(
        format!("the {service} service is unavailable; please retry in a moment"),
        cause,
    )
}

/// Every INTERNAL error of an answer, made fit for the client: the cause goes to the log with
/// the request id, the client gets the request id and a message without internals. An
/// INTERNAL error made by [`internal`] keeps its message; any other (an unmapped resolver
/// error, a missing context entry) is replaced by "internal error".
pub fn sanitize(errors: &mut [async_graphql::ServerError], request_id: &str) {
    for error in errors {
        let code = error
            .extensions
            .as_ref()
            .and_then(|e| e.get("code").cloned());
        if code != Some(async_graphql::Value::from(INTERNAL)) {
            continue;
        }
        let path = serde_json::to_string(&error.path).unwrap_or_default();
        match error.source::<Cause>() {
            Some(Cause(cause)) => {
                tracing::error!(request_id, %path, %cause, told = %error.message, "GraphQL request failed");
            }
            None => {
                tracing::error!(request_id, %path, cause = %error.message, "GraphQL request failed");
                error.message = "internal error".into();
            }
        }
        let message = format!("{} (request id {request_id})", error.message);
        error.message = message;
        error
            .extensions
            .get_or_insert_with(Default::default)
            .set("requestId", request_id);
    }
}

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

/// `SagaError::Unavailable` carries either our own words ("the payment is still processing…")
/// or "the X service is unavailable (driver text)": the driver text stays in the log.
fn unavailable_message(message: String) -> Error {
    for service in ["cinema", "users", "payments"] {
        let prefix = format!("the {service} service is unavailable");
        if message.starts_with(&prefix) && message.contains("(circuit open)") {
            // Our own breaker, not the dependency's words: telling it helps the client wait.
            return internal(
                format!("{prefix} (circuit open); please retry in a moment"),
                message,
            );
        }
        if message.starts_with(&prefix) {
            return unavailable(service, message);
        }
    }
    internal(message.clone(), message)
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
            SagaError::Unavailable(m) => unavailable_message(m),
            // Logged once, with the request id, by `sanitize`.
            SagaError::Internal(cause) => internal("internal error", cause),
        }
    }
}

/// Gives every error without a code one: errors without a path are the request's own fault
/// (parse, validation, depth and complexity limits); with a path they come from a resolver
/// we did not map, and are INTERNAL (and so sanitised).
pub fn assign_codes(errors: &mut [async_graphql::ServerError]) {
    for error in errors {
        let has_code = error
            .extensions
            .as_ref()
            .is_some_and(|e| e.get("code").is_some());
        if !has_code {
            // Errors without a path are the request's own fault (parse, validation, limits);
            // with a path they come from a resolver we did not map, unless an argument could
            // not be read.
            let code = if error.path.is_empty() || is_argument_error(&error.message) {
                BAD_USER_INPUT
            } else {
                INTERNAL
            };
            error
                .extensions
                .get_or_insert_with(Default::default)
                .set("code", code);
        }
    }
}

/// An argument the executor could not coerce to its type. Such errors carry the field's path
/// (they surface when the field is resolved), yet they are the caller's fault; async-graphql
/// gives them no kind, only these messages (`InputValueError::custom`,
/// `InputValueError::expected_type`, and a declared variable the request gave no value).
fn is_argument_error(message: &str) -> bool {
    message.starts_with("Failed to parse \"")
        || message.starts_with("Expected input type \"")
        || (message.starts_with("Variable ") && message.ends_with(" is not defined."))
}
