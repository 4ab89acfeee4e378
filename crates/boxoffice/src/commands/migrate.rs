use crate::settings::{Settings, connect_store};

/// Connecting applies the embedded migrations; this only connects each store and closes it.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let users = connect_store(
        &settings.data_dir,
        "users",
        &settings.users.database_url,
        &boxoffice_users::MIGRATIONS,
    )
    .await?;
    users.close().await;
    println!("migrations applied");
    Ok(())
}
