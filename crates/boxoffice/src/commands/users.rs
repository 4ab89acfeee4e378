use std::io::Read;

use anyhow::Context;

use super::shutdown_on_signal;
use crate::cli::UsersAction;
use crate::settings::{Settings, connect_store};

pub async fn run(settings: Settings, action: Option<UsersAction>) -> anyhow::Result<()> {
    match action {
        None => serve(settings).await,
        Some(UsersAction::CreateAdmin { email, name, .. }) => {
            create_admin(settings, &email, &name).await
        }
        Some(UsersAction::GrantRole { email, role, .. }) => {
            let user = grant_role(&settings, &email, role).await?;
            println!(
                "{} ({}) now has the role {}",
                user.email,
                user.id,
                user.role.as_str()
            );
            Ok(())
        }
        Some(UsersAction::RotateKey) => {
            let kid = boxoffice_users::keys::rotate(&settings.users.key_dir)?;
            println!("new signing key {kid}; restart the users service to sign with it");
            Ok(())
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let bus = super::services::event_bus(&settings, &Default::default(), false).await;
    super::services::start_users(&settings, bus, shutdown_on_signal())
        .await?
        .wait()
        .await
}

async fn create_admin(settings: Settings, email: &str, name: &str) -> anyhow::Result<()> {
    let mut password = String::new();
    std::io::stdin()
        .read_to_string(&mut password)
        .context("reading the password from stdin")?;
    let password = password.trim_end_matches(['\r', '\n']);
    let user = ensure_admin(&settings, email, password, name).await?;
    println!("admin account {} ({})", user.email, user.id);
    Ok(())
}

/// Creates a staff account in the users store, or promotes the existing account with this email
/// after checking its password. Shared by `create-admin`, the demo and the bench setup.
pub async fn ensure_admin(
    settings: &Settings,
    email: &str,
    password: &str,
    name: &str,
) -> anyhow::Result<boxoffice_users::User> {
    let database = connect_store(
        &settings.data_dir,
        "users",
        &settings.users.database_url,
        &boxoffice_users::MIGRATIONS,
    )
    .await?;
    let accounts = boxoffice_users::accounts(&settings.users, database.clone()).await?;
    let created = accounts.create_admin(email, password, name).await;
    database.close().await;
    created.map_err(account_error)
}

/// Gives the existing account with this email `role` in the users store. Shared by
/// `grant-role` and the demo's staff account.
pub async fn grant_role(
    settings: &Settings,
    email: &str,
    role: boxoffice_auth::Role,
) -> anyhow::Result<boxoffice_users::User> {
    let database = connect_store(
        &settings.data_dir,
        "users",
        &settings.users.database_url,
        &boxoffice_users::MIGRATIONS,
    )
    .await?;
    let accounts = boxoffice_users::accounts(&settings.users, database.clone()).await?;
    let granted = accounts.grant_role(email, role).await;
    database.close().await;
    granted.map_err(account_error)
}

fn account_error(error: boxoffice_users::AccountError) -> anyhow::Error {
    match error {
        boxoffice_users::AccountError::Invalid(errors) => {
            let messages: Vec<String> = errors.into_iter().map(|e| e.message).collect();
            anyhow::anyhow!("{}", messages.join("; "))
        }
        boxoffice_users::AccountError::UnknownEmail(email) => anyhow::anyhow!(
            "there is no account with the email {email}; the user registers first (or use create-admin)"
        ),
        other => anyhow::anyhow!(other),
    }
}

#[cfg(test)]
mod tests {
    use boxoffice_auth::Role;

    use super::*;

    const PASSWORD: &str = "correct horse battery staple";

    #[tokio::test]
    async fn grant_role_changes_an_existing_accounts_role_and_refuses_unknown_emails() {
        let dir = tempfile::tempdir().expect("tempdir");
        let settings =
            Settings::load_for_data_dir(dir.path(), &Settings::default()).expect("settings");
        ensure_admin(&settings, "desk@example.com", PASSWORD, "Desk")
            .await
            .expect("account");

        let staff = grant_role(&settings, "Desk@Example.com", Role::Staff)
            .await
            .expect("granted");
        assert_eq!(staff.role, Role::Staff);
        assert_eq!(staff.email, "desk@example.com");

        let refused = grant_role(&settings, "nobody@example.com", Role::Staff)
            .await
            .expect_err("no such account");
        assert!(
            refused
                .to_string()
                .contains("there is no account with the email nobody@example.com"),
            "{refused}"
        );
    }
}
