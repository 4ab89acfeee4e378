//! Cinemas and their auditoriums.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use boxoffice_http::{ApiJson, Problem};
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

async fn list(State(state): State<AdminState>) -> Result<ApiJson<Vec<Cinema>>, Problem> {
    Ok(ApiJson(state.store.list_cinemas().await?))
}

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

async fn update(
    State(state): State<AdminState>,
    Path(id): Path<String>,
    ApiJson(input): ApiJson<CinemaInput>,
) -> Result<ApiJson<Cinema>, Problem> {
    let id = path_id("Cinema", &id)?;
    input.validate()?;
    Ok(ApiJson(state.store.update_cinema(id, &input).await?))
}

async fn remove(
    State(state): State<AdminState>,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    state.store.delete_cinema(path_id("Cinema", &id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize)]
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
