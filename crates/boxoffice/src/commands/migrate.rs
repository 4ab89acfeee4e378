use boxoffice_store::{Database, PoolSettings};

use crate::settings::{Settings, connect_store, store_url};

/// Connecting applies the embedded migrations; this connects each store and closes it.
pub async fn run(settings: Settings) -> anyhow::Result<()> {
    let users = connect_store(
        &settings.data_dir,
        "users",
        &settings.users.database_url,
        &boxoffice_users::MIGRATIONS,
    )
    .await?;
    users.close().await;
    let cinema = Database::connect(
        &settings.cinema.database_url,
        &boxoffice_cinema::MIGRATIONS,
        PoolSettings::default(),
    )
    .await?;
    cinema.close().await;
    let payments_url = store_url(
        &settings.data_dir,
        "payments",
        &settings.payments.database_url,
    )?;
    let payments = Database::connect(
        &payments_url,
        &boxoffice_payments::store::migrations(),
        PoolSettings::default(),
    )
    .await?;
    payments.close().await;
    println!("migrations applied");
    Ok(())
}
