//! Movies.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemDocument};

use super::{AdminState, path_id};
use crate::domain::MovieInput;
use crate::store::Movie;

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/api/v1/admin/movies", get(list).post(create))
        .route(
            "/api/v1/admin/movies/{id}",
            get(show).put(update).delete(remove),
        )
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/movies",
    tag = "movies",
    summary = "List the movies",
    responses(
        (status = 200, description = "Every movie", body = Vec<Movie>),
    )
)]
async fn list(State(state): State<AdminState>) -> Result<ApiJson<Vec<Movie>>, Problem> {
    Ok(ApiJson(state.store.list_movies().await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/movies",
    tag = "movies",
    summary = "Add a movie",
    request_body = MovieInput,
    responses(
        (status = 201, description = "The new movie", body = Movie),
        (status = 409, description = "`conflict`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn create(
    State(state): State<AdminState>,
    ApiJson(input): ApiJson<MovieInput>,
) -> Result<(StatusCode, ApiJson<Movie>), Problem> {
    input.validate()?;
    let movie = state.store.create_movie(&input, chrono::Utc::now()).await?;
    Ok((StatusCode::CREATED, ApiJson(movie)))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/movies/{id}",
    tag = "movies",
    summary = "One movie",
    params(
        ("id" = uuid::Uuid, Path, description = "The movie's id"),
    ),
    responses(
        (status = 200, description = "The movie", body = Movie),
        (status = 404, description = "`not_found`: no such movie", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn show(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Movie>, Problem> {
    let id = path_id("Movie", &id)?;
    let movie = state
        .store
        .get_movies(&[id])
        .await?
        .pop()
        .ok_or_else(|| Problem::not_found("Movie"))?;
    Ok(ApiJson(movie))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/movies/{id}",
    tag = "movies",
    summary = "Replace a movie",
    params(
        ("id" = uuid::Uuid, Path, description = "The movie's id"),
    ),
    request_body = MovieInput,
    responses(
        (status = 200, description = "The movie as stored", body = Movie),
        (status = 404, description = "`not_found`: no such movie", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`: e.g. a longer runtime would overlap the next showtime", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn update(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MovieInput>,
) -> Result<ApiJson<Movie>, Problem> {
    let id = path_id("Movie", &id)?;
    input.validate()?;
    Ok(ApiJson(state.store.update_movie(id, &input).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/movies/{id}",
    tag = "movies",
    summary = "Delete a movie",
    params(
        ("id" = uuid::Uuid, Path, description = "The movie's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`: no such movie", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`: it still has showtimes", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn remove(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.store.delete_movie(path_id("Movie", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
