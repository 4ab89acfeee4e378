mod all;
mod audit;
mod bench;
mod healthcheck;
mod migrate;
mod services;
mod users;

use boxoffice_http::CancellationToken;
use boxoffice_telemetry::{LogFormat, TelemetrySettings};

use crate::cli::{Cli, Command};
use crate::settings::Settings;

pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let mut settings = Settings::load(cli.config.as_deref(), &cli.overrides())?;
    match &cli.command {
        // Its embedded instance has a temporary data directory of its own
        // (`Settings::load_for_data_dir`); against a URL it only reads the stores.
        Command::Bench(_) => {}
        // A probe creates no data directory: a container's root filesystem is read-only.
        Command::Healthcheck { .. } => {}
        Command::All { .. }
        | Command::Cinema { .. }
        | Command::Payments { .. }
        | Command::Booking { .. } => settings.with_internal_credentials()?,
        _ => settings.prepare_data_dir()?,
    }
    let format = LogFormat::parse(&settings.log_format)
        .ok_or_else(|| anyhow::anyhow!("log_format must be auto, pretty or json"))?;
    let telemetry = boxoffice_telemetry::init(&TelemetrySettings {
        service: cli.command.service_name(),
        otlp_endpoint: settings.otlp_endpoint.as_deref(),
        log_format: format,
        default_filter: "info,sqlx=warn",
    })?;
    let outcome = run_command(cli, settings).await;
    telemetry.shutdown().await;
    outcome
}

async fn run_command(cli: Cli, settings: Settings) -> anyhow::Result<()> {
    match cli.command {
        Command::All { demo } => all::run(settings, demo).await,
        Command::Users(users) => users::run(settings, users.action).await,
        Command::Cinema { .. } => {
            let running = services::start_cinema(&settings, shutdown_on_signal()).await?;
            Ok(running.wait().await?)
        }
        Command::Payments { .. } => {
            let bus = services::event_bus(&settings, &Default::default(), false).await;
            services::start_payments(&settings, bus, shutdown_on_signal())
                .await?
                .wait()
                .await
        }
        Command::Booking { .. } => {
            let bus = services::event_bus(&settings, &Default::default(), false).await;
            let running = services::start_booking(&settings, bus, shutdown_on_signal()).await?;
            Ok(running.wait().await?)
        }
        Command::Notifications { .. } => {
            if settings.amqp_url.is_none() {
                tracing::warn!(
                    "no amqp_url: only events of this process would arrive; set BOXOFFICE_AMQP_URL"
                );
            }
            let running =
                services::start_notifications(&settings, &Default::default(), shutdown_on_signal())
                    .await?;
            running.wait().await;
            Ok(())
        }
        Command::Gateway { .. } => {
            let running = services::start_gateway(&settings, shutdown_on_signal()).await?;
            Ok(running.wait().await?)
        }
        Command::Audit { json } => audit::run(settings, json).await,
        Command::Seed {
            what: crate::cli::SeedWhat::Demo { url },
        } => {
            let url = url.unwrap_or_else(|| {
                format!(
                    "http://{}",
                    crate::settings::loopback_for(settings.gateway.listen)
                )
            });
            let credentials = all::load_demo(&settings, &url).await?;
            println!(
                "demo loaded; admin {} / {}; staff {} / {}",
                credentials.admin_email,
                credentials.admin_password,
                credentials.staff_email,
                credentials.staff_password
            );
            Ok(())
        }
        Command::Bench(args) => bench::run(settings, args).await,
        Command::Migrate => migrate::run(settings).await,
        Command::Healthcheck { url, timeout_ms } => {
            Ok(healthcheck::check(&url, std::time::Duration::from_millis(timeout_ms)).await?)
        }
    }
}

/// A token cancelled on Ctrl-C or SIGTERM; every server and worker stops on it.
fn shutdown_on_signal() -> CancellationToken {
    let token = CancellationToken::new();
    let trigger = token.clone();
    tokio::spawn(async move {
        boxoffice_http::shutdown_signal().await;
        trigger.cancel();
    });
    token
}
