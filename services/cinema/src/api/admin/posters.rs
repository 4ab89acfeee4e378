//! Uploading and removing a movie's poster image (served publicly by `api::posters`).

use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::routing::put;
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemCode, ProblemDocument};

use super::{AdminState, path_id};
use crate::domain::{MAX_POSTER_BYTES, PosterType, poster_etag};
use crate::store::{Movie, Poster};

pub fn router() -> Router<AdminState> {
    Router::new().route(
        "/api/v1/admin/movies/{id}/poster",
        // Only this route takes more than the standard 64 KiB. The admin check runs before
        // the body is read, so only staff can make the service buffer 2 MiB.
        put(upload)
            .layer(DefaultBodyLimit::max(MAX_POSTER_BYTES))
            .delete(remove),
    )
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/movies/{id}/poster",
    tag = "movies",
    summary = "Upload a movie's poster image (at most 2 MiB)",
    params(("id" = uuid::Uuid, Path, description = "The movie's id")),
    request_body(
        content(
            (Vec<u8> = "image/png"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/webp"),
        ),
        description = "The image; its bytes must match the declared type",
    ),
    responses(
        (status = 200, description = "The movie, `poster_url` pointing at the new image", body = Movie),
        (status = 404, description = "`not_found`: no such movie", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 413, description = "`body_too_large`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 415, description = "`unsupported_media_type`: not PNG, JPEG or WebP", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`: empty, or not an image of the declared type", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn upload(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<ApiJson<Movie>, Problem> {
    let movie_id = path_id("Movie", &id)?;
    let declared = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(PosterType::from_content_type)
        .ok_or_else(|| {
            Problem::new(
                ProblemCode::UnsupportedMediaType,
                "Expected Content-Type image/png, image/jpeg or image/webp",
            )
        })?;
    let bytes = body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            Problem::new(ProblemCode::BodyTooLarge, "The body is too large")
                .with_detail(format!("a poster is at most {MAX_POSTER_BYTES} bytes"))
        } else {
            Problem::new(ProblemCode::MalformedBody, "The body could not be read")
        }
    })?;
    declared.check(&bytes)?;
    let poster = Poster {
        content_type: declared.content_type().to_owned(),
        etag: poster_etag(&bytes),
        bytes: bytes.to_vec(),
    };
    let movie = state
        .store
        .put_poster(movie_id, &poster, chrono::Utc::now())
        .await?;
    Ok(ApiJson(movie))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/movies/{id}/poster",
    tag = "movies",
    summary = "Remove a movie's poster image",
    params(
        ("id" = uuid::Uuid, Path, description = "The movie's id"),
    ),
    responses(
        (status = 204, description = "Removed"),
        (status = 404, description = "`not_found`: no such movie", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn remove(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.store.delete_poster(path_id("Movie", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
