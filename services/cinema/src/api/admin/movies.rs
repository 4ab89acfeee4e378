//! Movies.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use boxoffice_http::{ApiJson, Problem};

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

async fn list(State(state): State<AdminState>) -> Result<ApiJson<Vec<Movie>>, Problem> {
    Ok(ApiJson(state.store.list_movies().await?))
}

async fn create(
    State(state): State<AdminState>,
    ApiJson(input): ApiJson<MovieInput>,
) -> Result<(StatusCode, ApiJson<Movie>), Problem> {
    input.validate()?;
    let movie = state.store.create_movie(&input, chrono::Utc::now()).await?;
    Ok((StatusCode::CREATED, ApiJson(movie)))
}

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

async fn update(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<MovieInput>,
) -> Result<ApiJson<Movie>, Problem> {
    let id = path_id("Movie", &id)?;
    input.validate()?;
    Ok(ApiJson(state.store.update_movie(id, &input).await?))
}

async fn remove(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.store.delete_movie(path_id("Movie", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
