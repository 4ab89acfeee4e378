//! Every service in one process, each on its own loopback port, talking to the others through
//! the same HTTP and gRPC clients as in a distributed deployment.

use super::shutdown_on_signal;
use crate::settings::{Settings, connect_store};

pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let shutdown = shutdown_on_signal();
    let users_db = connect_store(
        &settings.data_dir,
        "users",
        &settings.users.database_url,
        &boxoffice_users::MIGRATIONS,
    )
    .await?;
    let users =
        boxoffice_users::start(settings.users.clone(), users_db.clone(), shutdown.clone()).await?;
    println!("boxoffice is running");
    println!(
        "  users API   http://{}/api/v1/auth/register",
        users.http_addr
    );
    println!("  data        {}", settings.data_dir.display());
    println!("Ctrl-C stops it; data is kept for the next start.");
    users.wait().await?;
    users_db.close().await;
    Ok(())
}
