use axum::extract::State;
use boxoffice_auth::Caller;
use boxoffice_http::{ApiJson, PROBLEM_JSON, Problem, ProblemDocument};

use super::AppState;
use crate::accounts::User;

/// The caller's account. A valid token for an account that was closed or deleted since gets 401:
/// other services call this to confirm that a customer is still active.
#[utoipa::path(
    get,
    path = "/api/v1/users/me",
    tag = "users",
    summary = "The signed-in account",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = User),
        (status = 401, description = "`unauthenticated` or `invalid_token` (also for a closed account)", body = ProblemDocument, content_type = PROBLEM_JSON),
    )
)]
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<ApiJson<User>, Problem> {
    let record = state.accounts.active_account(caller.user_id).await?;
    Ok(ApiJson(User::from(&record)))
}
