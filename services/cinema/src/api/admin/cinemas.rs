//! Cinemas and their auditoriums.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemDocument};
use serde::Deserialize;

use super::{AdminState, path_id};
use crate::domain::{CinemaInput, Layout};
use crate::store::{Auditorium, Cinema};

pub fn router() -> Router<AdminState> {
    Router::new()
        .route("/api/v1/admin/cinemas", get(list).post(create))
        .route(
            "/api/v1/admin/cinemas/{id}",
            get(show).put(update).delete(remove),
        )
        .route(
            "/api/v1/admin/cinemas/{id}/auditoriums",
            get(list_auditoriums).post(create_auditorium),
        )
        .route(
            "/api/v1/admin/cinemas/{id}/auditoriums/{auditorium_id}",
            get(show_auditorium)
                .put(update_auditorium)
                .delete(remove_auditorium),
        )
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/cinemas",
    tag = "cinemas",
    summary = "List the cinemas",
    responses(
        (status = 200, description = "Every cinema", body = Vec<Cinema>),
    )
)]
async fn list(State(state): State<AdminState>) -> Result<ApiJson<Vec<Cinema>>, Problem> {
    Ok(ApiJson(state.store.list_cinemas().await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/cinemas",
    tag = "cinemas",
    summary = "Create a cinema",
    request_body = CinemaInput,
    responses(
        (status = 201, description = "The new cinema", body = Cinema),
        (status = 409, description = "`conflict`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`: e.g. an unknown time zone", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn create(
    State(state): State<AdminState>,
    ApiJson(input): ApiJson<CinemaInput>,
) -> Result<(StatusCode, ApiJson<Cinema>), Problem> {
    input.validate()?;
    let cinema = state
        .store
        .create_cinema(&input, chrono::Utc::now())
        .await?;
    Ok((StatusCode::CREATED, ApiJson(cinema)))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/cinemas/{id}",
    tag = "cinemas",
    summary = "One cinema",
    params(
        ("id" = uuid::Uuid, Path, description = "The cinema's id"),
    ),
    responses(
        (status = 200, description = "The cinema", body = Cinema),
        (status = 404, description = "`not_found`: no such cinema", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn show(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Cinema>, Problem> {
    let id = path_id("Cinema", &id)?;
    let cinema = state
        .store
        .get_cinemas(&[id])
        .await?
        .pop()
        .ok_or_else(|| Problem::not_found("Cinema"))?;
    Ok(ApiJson(cinema))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/cinemas/{id}",
    tag = "cinemas",
    summary = "Replace a cinema",
    params(
        ("id" = uuid::Uuid, Path, description = "The cinema's id"),
    ),
    request_body = CinemaInput,
    responses(
        (status = 200, description = "The cinema as stored", body = Cinema),
        (status = 404, description = "`not_found`: no such cinema", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn update(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CinemaInput>,
) -> Result<ApiJson<Cinema>, Problem> {
    let id = path_id("Cinema", &id)?;
    input.validate()?;
    Ok(ApiJson(state.store.update_cinema(id, &input).await?))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/cinemas/{id}",
    tag = "cinemas",
    summary = "Delete a cinema",
    params(
        ("id" = uuid::Uuid, Path, description = "The cinema's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`: no such cinema", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`: it still has auditoriums or showtimes", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn remove(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.store.delete_cinema(path_id("Cinema", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
struct AuditoriumInput {
    name: String,
    layout: Layout,
}

impl AuditoriumInput {
    fn validate(&self) -> Result<(), Problem> {
        let name = self.name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(Problem::validation("name must be 1 to 100 characters"));
        }
        self.layout.seats()?;
        Ok(())
    }
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/cinemas/{id}/auditoriums",
    tag = "cinemas",
    summary = "List a cinema's auditoriums",
    params(
        ("id" = uuid::Uuid, Path, description = "The cinema's id"),
    ),
    responses(
        (status = 200, description = "The auditoriums", body = Vec<Auditorium>),
        (status = 404, description = "`not_found`: no such cinema", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn list_auditoriums(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<ApiJson<Vec<Auditorium>>, Problem> {
    let cinema_id = path_id("Cinema", &id)?;
    if state.store.get_cinemas(&[cinema_id]).await?.is_empty() {
        return Err(Problem::not_found("Cinema"));
    }
    Ok(ApiJson(state.store.list_auditoriums(cinema_id).await?))
}

#[utoipa::path(
    post,
    path = "/api/v1/admin/cinemas/{id}/auditoriums",
    tag = "cinemas",
    summary = "Add an auditorium with its seat layout",
    params(
        ("id" = uuid::Uuid, Path, description = "The cinema's id"),
    ),
    request_body = AuditoriumInput,
    responses(
        (status = 201, description = "The new auditorium", body = Auditorium),
        (status = 404, description = "`not_found`: no such cinema", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`: e.g. a layout with duplicate rows or seats", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn create_auditorium(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<AuditoriumInput>,
) -> Result<(StatusCode, ApiJson<Auditorium>), Problem> {
    let cinema_id = path_id("Cinema", &id)?;
    input.validate()?;
    let auditorium = state
        .store
        .create_auditorium(cinema_id, &input.name, &input.layout, chrono::Utc::now())
        .await?;
    Ok((StatusCode::CREATED, ApiJson(auditorium)))
}

#[utoipa::path(
    get,
    path = "/api/v1/admin/cinemas/{id}/auditoriums/{auditorium_id}",
    tag = "cinemas",
    summary = "One auditorium",
    params(
        ("id" = uuid::Uuid, Path, description = "The cinema's id"),
        ("auditorium_id" = uuid::Uuid, Path, description = "The auditorium's id"),
    ),
    responses(
        (status = 200, description = "The auditorium", body = Auditorium),
        (status = 404, description = "`not_found`: no such cinema or auditorium", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn show_auditorium(
    State(state): State<AdminState>,
    Path((id, auditorium_id)): Path<(String, String)>,
) -> Result<ApiJson<Auditorium>, Problem> {
    let cinema_id = path_id("Cinema", &id)?;
    let auditorium_id = path_id("Auditorium", &auditorium_id)?;
    Ok(ApiJson(
        state.store.get_auditorium(cinema_id, auditorium_id).await?,
    ))
}

#[utoipa::path(
    put,
    path = "/api/v1/admin/cinemas/{id}/auditoriums/{auditorium_id}",
    tag = "cinemas",
    summary = "Replace an auditorium and its layout",
    params(
        ("id" = uuid::Uuid, Path, description = "The cinema's id"),
        ("auditorium_id" = uuid::Uuid, Path, description = "The auditorium's id"),
    ),
    request_body = AuditoriumInput,
    responses(
        (status = 200, description = "The auditorium as stored", body = Auditorium),
        (status = 404, description = "`not_found`: no such cinema or auditorium", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`: the layout would drop seats of future showtimes", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 422, description = "`validation_failed`", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn update_auditorium(
    State(state): State<AdminState>,
    Path((id, auditorium_id)): Path<(String, String)>,
    ApiJson(input): ApiJson<AuditoriumInput>,
) -> Result<ApiJson<Auditorium>, Problem> {
    let cinema_id = path_id("Cinema", &id)?;
    let auditorium_id = path_id("Auditorium", &auditorium_id)?;
    input.validate()?;
    let auditorium = state
        .store
        .update_auditorium(
            cinema_id,
            auditorium_id,
            &input.name,
            &input.layout,
            chrono::Utc::now(),
        )
        .await?;
    Ok(ApiJson(auditorium))
}

#[utoipa::path(
    delete,
    path = "/api/v1/admin/cinemas/{id}/auditoriums/{auditorium_id}",
    tag = "cinemas",
    summary = "Delete an auditorium",
    params(
        ("id" = uuid::Uuid, Path, description = "The cinema's id"),
        ("auditorium_id" = uuid::Uuid, Path, description = "The auditorium's id"),
    ),
    responses(
        (status = 204, description = "Deleted"),
        (status = 404, description = "`not_found`: no such cinema or auditorium", body = ProblemDocument, content_type = PROBLEM_JSON),
        (status = 409, description = "`conflict`: it still has showtimes", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
async fn remove_auditorium(
    State(state): State<AdminState>,
    Path((id, auditorium_id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let cinema_id = path_id("Cinema", &id)?;
    let auditorium_id = path_id("Auditorium", &auditorium_id)?;
    state
        .store
        .delete_auditorium(cinema_id, auditorium_id)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
