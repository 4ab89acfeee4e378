use axum::extract::State;
use boxoffice_auth::Caller;
use boxoffice_http::{ApiJson, Problem};

use super::AppState;
use crate::accounts::User;

/// The caller's account. A valid token for an account that was closed or deleted since gets 401:
/// other services call this to confirm that a customer is still active.
pub async fn me(State(state): State<AppState>, caller: Caller) -> Result<ApiJson<User>, Problem> {
    let record = state.accounts.active_account(caller.user_id).await?;
    Ok(ApiJson(User::from(&record)))
}
