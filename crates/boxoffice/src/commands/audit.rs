//! `boxoffice audit`: the cross-service invariants over the configured stores.

use boxoffice_store::{Database, PoolSettings};

use crate::settings::{Settings, store_url};

/// Every store the audit reads, connected from the settings (embedded: the data directory).
pub struct AuditStores {
    booking: Database,
    cinema: Database,
    payments: Database,
    users: Database,
    notifications: Database,
}

impl AuditStores {
    pub async fn connect(settings: &Settings) -> anyhow::Result<Self> {
        let small = PoolSettings {
            max_connections: 2,
            ..PoolSettings::default()
        };
        let notifications_url = match &settings.notifications.database_url {
            Some(url) => url.clone(),
            None => {
                boxoffice_store::sqlite_url_in(&settings.notifications.data_dir, "notifications")?
            }
        };
        Ok(Self {
            booking: Database::connect(
                &settings.booking.database_url,
                &boxoffice_booking::MIGRATIONS,
                small,
            )
            .await?,
            cinema: Database::connect(
                &settings.cinema.database_url,
                &boxoffice_cinema::MIGRATIONS,
                small,
            )
            .await?,
            payments: Database::connect(
                &store_url(
                    &settings.data_dir,
                    "payments",
                    &settings.payments.database_url,
                )?,
                &boxoffice_payments::store::migrations(),
                small,
            )
            .await?,
            users: Database::connect(
                &store_url(&settings.data_dir, "users", &settings.users.database_url)?,
                &boxoffice_users::MIGRATIONS,
                small,
            )
            .await?,
            notifications: Database::connect(
                &notifications_url,
                &boxoffice_notifications::store::MIGRATIONS,
                small,
            )
            .await?,
        })
    }

    pub async fn audit(&self) -> anyhow::Result<boxoffice_audit::Report> {
        Ok(boxoffice_audit::run(
            boxoffice_audit::Stores {
                booking: &self.booking,
                cinema: &self.cinema,
                payments: &self.payments,
                notifications: Some(&self.notifications),
                users: Some(&self.users),
            },
            boxoffice_audit::Allowances::default(),
        )
        .await?)
    }

    pub async fn close(self) {
        for db in [
            self.booking,
            self.cinema,
            self.payments,
            self.users,
            self.notifications,
        ] {
            db.close().await;
        }
    }
}

pub async fn run(settings: Settings, json: bool) -> anyhow::Result<()> {
    let stores = AuditStores::connect(&settings).await?;
    let report = stores.audit().await?;
    stores.close().await;
    if json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        print!("{}", report.table());
    }
    if report.ok {
        Ok(())
    } else {
        anyhow::bail!("the audit found violations")
    }
}
