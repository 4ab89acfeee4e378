//! Starting each service from the binary's settings; shared by the one-service subcommands and
//! `boxoffice all`. Each start logs one `service ready` line with its addresses, which operators
//! and the end-to-end harness read.

use boxoffice_http::CancellationToken;
use boxoffice_store::Database;

use crate::settings::{Settings, connect_store, store_url};

pub struct UsersService {
    pub running: boxoffice_users::Running,
    database: Database,
}

impl UsersService {
    pub async fn wait(self) -> anyhow::Result<()> {
        self.running.wait().await?;
        self.database.close().await;
        Ok(())
    }
}

pub async fn start_users(
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<UsersService> {
    let database = connect_store(
        &settings.data_dir,
        "users",
        &settings.users.database_url,
        &boxoffice_users::MIGRATIONS,
    )
    .await?;
    let running =
        boxoffice_users::start(settings.users.clone(), database.clone(), shutdown).await?;
    tracing::info!(service = "users", http_addr = %running.http_addr, "service ready");
    Ok(UsersService { running, database })
}

pub async fn start_cinema(
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<boxoffice_cinema::Running> {
    let running =
        boxoffice_cinema::start(settings.cinema.clone(), settings.verifier(), shutdown).await?;
    tracing::info!(service = "cinema", http_addr = %running.http_addr, grpc_addr = %running.grpc_addr, "service ready");
    Ok(running)
}

pub async fn start_payments(
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<boxoffice_payments::Running> {
    let url = store_url(
        &settings.data_dir,
        "payments",
        &settings.payments.database_url,
    )?;
    let running =
        boxoffice_payments::start(settings.payments.service.clone(), &url, shutdown).await?;
    tracing::info!(service = "payments", http_addr = %running.http_addr, "service ready");
    Ok(running)
}

pub async fn start_gateway(
    settings: &Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<boxoffice_gateway::Running> {
    let running =
        boxoffice_gateway::start(settings.gateway.clone(), settings.verifier(), shutdown).await?;
    tracing::info!(service = "gateway", http_addr = %running.http_addr, "service ready");
    Ok(running)
}
