//! RFC 9457 problem details: the one error shape every REST endpoint answers with.

use std::fmt;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::{Map, Value};

/// Stable, machine-readable error codes. Clients switch on `code`; the HTTP status of each code
/// is fixed here and nowhere else.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ProblemCode {
    MalformedBody,
    UnsupportedMediaType,
    BodyTooLarge,
    ValidationFailed,
    Unauthenticated,
    InvalidCredentials,
    InvalidToken,
    Forbidden,
    NotFound,
    Conflict,
    /// A showtime would overlap another in its auditorium. Spelled in capitals because the
    /// staff front end was specified against that spelling (the one exception in this table).
    #[serde(rename = "SHOWTIME_CLASH")]
    ShowtimeClash,
    EmailTaken,
    IdempotencyKeyInUse,
    RateLimited,
    UpstreamUnavailable,
    UpstreamTimeout,
    /// The listener is at its connection cap (`server.max_connections`); retry shortly.
    TooManyConnections,
    Internal,
}

impl ProblemCode {
    pub fn status(self) -> StatusCode {
        match self {
            Self::MalformedBody => StatusCode::BAD_REQUEST,
            Self::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Self::BodyTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            Self::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
            Self::Unauthenticated | Self::InvalidCredentials | Self::InvalidToken => {
                StatusCode::UNAUTHORIZED
            }
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::NotFound => StatusCode::NOT_FOUND,
            Self::Conflict | Self::ShowtimeClash | Self::EmailTaken | Self::IdempotencyKeyInUse => {
                StatusCode::CONFLICT
            }
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
            Self::UpstreamUnavailable | Self::TooManyConnections => StatusCode::SERVICE_UNAVAILABLE,
            Self::UpstreamTimeout => StatusCode::GATEWAY_TIMEOUT,
            Self::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn as_str(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

/// The body of every REST error (`application/problem+json`), as the API document describes
/// it; [`Problem`] renders exactly these members, plus any extension members.
#[derive(utoipa::ToSchema)]
#[schema(as = Problem)]
#[allow(dead_code)] // Only its schema is used.
pub struct ProblemDocument {
    /// `urn:boxoffice:problem:<code>`.
    #[schema(example = "urn:boxoffice:problem:not_found")]
    r#type: String,
    /// A short summary, the same for every occurrence of the code.
    title: String,
    /// The HTTP status, repeated.
    #[schema(minimum = 400, maximum = 599)]
    status: u16,
    /// What went wrong this time, safe to show.
    #[schema(nullable = false)]
    detail: Option<String>,
    /// The code clients switch on.
    code: ProblemCode,
}

/// The media type of every error body.
pub const PROBLEM_JSON: &str = "application/problem+json";

/// A problem+json error response.
#[derive(Debug, Clone)]
pub struct Problem {
    code: ProblemCode,
    status: StatusCode,
    title: String,
    detail: Option<String>,
    extensions: Map<String, Value>,
}

impl Problem {
    pub fn new(code: ProblemCode, title: impl Into<String>) -> Self {
        Self {
            code,
            status: code.status(),
            title: title.into(),
            detail: None,
            extensions: Map::new(),
        }
    }

    /// Overrides the status of the code, for the rare code that has more than one
    /// (a validation error answered as 422 by one endpoint and 400 by another).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn with_detail(mut self, detail: impl Into<String>) -> Self {
        self.detail = Some(detail.into());
        self
    }

    /// Adds a member to the problem object (RFC 9457 extension members), e.g. `errors`.
    pub fn with_extension(mut self, key: &str, value: impl Serialize) -> Self {
        if let Ok(value) = serde_json::to_value(value) {
            self.extensions.insert(key.to_owned(), value);
        }
        self
    }

    pub fn validation(detail: impl Into<String>) -> Self {
        Self::new(ProblemCode::ValidationFailed, "The request is not valid").with_detail(detail)
    }

    pub fn not_found(what: &str) -> Self {
        Self::new(ProblemCode::NotFound, format!("{what} not found"))
    }

    pub fn unauthenticated() -> Self {
        Self::new(ProblemCode::Unauthenticated, "Authentication required")
    }

    pub fn forbidden() -> Self {
        Self::new(ProblemCode::Forbidden, "Not allowed")
    }

    /// An unexpected failure. The cause is logged here, once, and never sent to the client.
    pub fn internal(cause: &dyn fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ProblemCode::Internal, "Internal server error")
    }

    pub fn code(&self) -> ProblemCode {
        self.code
    }

    pub fn status(&self) -> StatusCode {
        self.status
    }

    pub fn detail(&self) -> Option<&str> {
        self.detail.as_deref()
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({:?})", self.title, self.code)
    }
}

impl std::error::Error for Problem {}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut body = Map::new();
        let code = self.code.as_str();
        body.insert(
            "type".into(),
            Value::String(format!("urn:boxoffice:problem:{code}")),
        );
        body.insert("title".into(), Value::String(self.title));
        body.insert("status".into(), Value::from(self.status.as_u16()));
        if let Some(detail) = self.detail {
            body.insert("detail".into(), Value::String(detail));
        }
        body.insert("code".into(), Value::String(code));
        body.extend(self.extensions);
        let bytes = serde_json::to_vec(&Value::Object(body)).unwrap_or_default();
        let mut response = (self.status, bytes).into_response();
        response
            .headers_mut()
            .insert(header::CONTENT_TYPE, HeaderValue::from_static(PROBLEM_JSON));
        response
    }
}

#[cfg(test)]
mod tests {
    use http_body_util::BodyExt;

    use super::*;

    #[tokio::test]
    async fn a_problem_renders_as_problem_json() {
        let response = Problem::validation("email is not valid")
            .with_extension("field", "email")
            .into_response();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(
            response.headers()[header::CONTENT_TYPE],
            "application/problem+json"
        );
        let body = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        let json: Value = serde_json::from_slice(&body).expect("json");
        assert_eq!(json["status"], 422);
        assert_eq!(json["code"], "validation_failed");
        assert_eq!(json["type"], "urn:boxoffice:problem:validation_failed");
        assert_eq!(json["detail"], "email is not valid");
        assert_eq!(json["field"], "email");
    }
}
