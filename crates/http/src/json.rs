//! A JSON extractor whose rejections are problem+json like every other error.

use axum::extract::rejection::JsonRejection;
use axum::extract::{FromRequest, Request};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::problem::{Problem, ProblemCode};

/// `Json<T>` for requests and responses, with bad bodies mapped to documented problems:
/// malformed JSON → 400, a wrong or missing content type → 415, too large → 413, well-formed
/// JSON of the wrong shape (missing or unknown fields, wrong types) → 422.
#[derive(Debug, Clone, Copy, Default)]
pub struct ApiJson<T>(pub T);

impl<S, T> FromRequest<S> for ApiJson<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = Problem;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(rejection) => Err(problem_for(rejection)),
        }
    }
}

fn problem_for(rejection: JsonRejection) -> Problem {
    match rejection {
        JsonRejection::JsonDataError(e) => Problem::validation(e.body_text().replace(
            "Failed to deserialize the JSON body into the target type: ",
            "",
        )),
        JsonRejection::JsonSyntaxError(_) => {
            Problem::new(ProblemCode::MalformedBody, "The body is not valid JSON")
        }
        JsonRejection::MissingJsonContentType(_) => Problem::new(
            ProblemCode::UnsupportedMediaType,
            "Expected Content-Type: application/json",
        ),
        JsonRejection::BytesRejection(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
            Problem::new(ProblemCode::BodyTooLarge, "The body is too large")
        }
        other => Problem::new(ProblemCode::MalformedBody, "The body could not be read")
            .with_detail(other.body_text()),
    }
}

impl<T: Serialize> IntoResponse for ApiJson<T> {
    fn into_response(self) -> Response {
        axum::Json(self.0).into_response()
    }
}
