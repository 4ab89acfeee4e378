//! Every service in one process, each on its own loopback port, talking to the others through
//! the same HTTP and gRPC clients as in a distributed deployment.

use boxoffice_auth::Role;
use boxoffice_client::ApiClient;

use super::services;
use boxoffice_http::CancellationToken;

use super::shutdown_on_signal;
use crate::demo::{self, DemoCredentials};
use crate::settings::Settings;

/// Every service of one process, started.
pub struct AllRunning {
    pub gateway_url: String,
    /// The settings with every real bound address filled in.
    pub settings: Settings,
    users: services::UsersService,
    cinema: boxoffice_cinema::Running,
    payments: services::PaymentsService,
    booking: boxoffice_booking::Running,
    notifications: boxoffice_notifications::Running,
    gateway: boxoffice_gateway::Running,
}

impl AllRunning {
    /// Waits until every service has stopped (after the shutdown token was cancelled).
    pub async fn wait(self) -> anyhow::Result<()> {
        let (booking, users, cinema, payments, gateway, ()) = tokio::join!(
            self.booking.wait(),
            self.users.wait(),
            self.cinema.wait(),
            self.payments.wait(),
            self.gateway.wait(),
            self.notifications.wait()
        );
        gateway?;
        booking?;
        users?;
        cinema?;
        payments?;
        Ok(())
    }
}

/// Starts every service in dependency order; each one's real bound address is written back
/// into the settings before its dependents start, so any port (including 0) works.
pub async fn start(
    mut settings: Settings,
    shutdown: CancellationToken,
) -> anyhow::Result<AllRunning> {
    let in_process = boxoffice_events::InProcessBus::new();
    let bus = services::event_bus(&settings, &in_process, true).await;
    // Users serves first (notifications verifies its tokens against the users JWKS), but its
    // outbox is relayed only once the consumer is subscribed, so that the first events
    // already find their queue.
    let users = services::start_users_unrelayed(&settings, shutdown.clone()).await?;
    settings.users.listen = users.running.http_addr;
    let notifications =
        services::start_notifications(&settings, &in_process, shutdown.clone()).await?;
    settings.notifications.listen = notifications.http_addr.to_string();
    let users = users.relay_to(bus.clone(), shutdown.clone());
    let cinema = services::start_cinema(&settings, shutdown.clone()).await?;
    settings.cinema.http_addr = cinema.http_addr;
    settings.cinema.grpc_addr = cinema.grpc_addr;
    let payments = services::start_payments(&settings, bus.clone(), shutdown.clone()).await?;
    settings.payments.service.listen = payments.running.http_addr.to_string();
    settings.derive_addresses(true);
    let booking = services::start_booking(&settings, bus.clone(), shutdown.clone()).await?;
    settings.booking.listen = booking.http_addr;
    settings.derive_addresses(true);
    let gateway = services::start_gateway(&settings, shutdown.clone()).await?;
    Ok(AllRunning {
        gateway_url: format!("http://{}", gateway.http_addr),
        settings,
        users,
        cinema,
        payments,
        booking,
        notifications,
        gateway,
    })
}

pub async fn run(mut settings: Settings, with_demo: bool) -> anyhow::Result<()> {
    let started = std::time::Instant::now();
    // The demo's checkout lists the simulated processor's test cards.
    settings.gateway.web.show_test_cards |= with_demo;
    let running = start(settings, shutdown_on_signal()).await?;
    let credentials = if with_demo {
        Some(load_demo(&running.settings, &running.gateway_url).await?)
    } else {
        None
    };
    tracing::info!(
        ready_ms = started.elapsed().as_millis() as u64,
        gateway = %running.gateway_url.trim_start_matches("http://"),
        "boxoffice ready"
    );
    print_banner(
        &running.settings,
        &running.gateway_url,
        credentials.as_ref(),
    );
    running.wait().await
}

/// Creates the demo accounts and catalog on the first start; later starts find them.
pub async fn load_demo(settings: &Settings, gateway_url: &str) -> anyhow::Result<DemoCredentials> {
    let (mut credentials, fresh) = DemoCredentials::load_or_generate(&settings.data_dir)?;
    let api = ApiClient::new(gateway_url);
    let staff_missing = credentials.add_missing_staff()?;
    if fresh {
        super::users::ensure_admin(
            settings,
            &credentials.admin_email,
            &credentials.admin_password,
            "Demo Admin",
        )
        .await?;
        api.register(
            &credentials.customer_email,
            &credentials.customer_password,
            "Demo Customer",
        )
        .await?;
    }
    if fresh || staff_missing {
        // Registered like anyone, then granted the role: the path an operator takes with
        // `boxoffice users grant-role`.
        api.register(
            &credentials.staff_email,
            &credentials.staff_password,
            "Demo Staff",
        )
        .await?;
        super::users::grant_role(settings, &credentials.staff_email, Role::Staff).await?;
        credentials.save(&settings.data_dir)?;
    }
    let admin = api
        .login(&credentials.admin_email, &credentials.admin_password)
        .await?;
    if let Some(seeded) = demo::seed_catalog(&api.with_token(admin.access_token)).await? {
        tracing::info!(
            cinemas = seeded.cinemas,
            auditoriums = seeded.auditoriums,
            movies = seeded.movies,
            showtimes = seeded.showtimes,
            "demo catalog loaded"
        );
    }
    Ok(credentials)
}

fn print_banner(settings: &Settings, gateway_url: &str, demo: Option<&DemoCredentials>) {
    println!();
    println!(
        "boxoffice is running (embedded storage in {})",
        settings.data_dir.display()
    );
    println!("  web            {gateway_url}/");
    println!("  GraphiQL       {gateway_url}/graphql");
    println!("  accounts API   {gateway_url}/api/v1/auth/login");
    println!("  admin API      {gateway_url}/api/v1/admin/cinemas");
    println!("  notifications  {gateway_url}/api/v1/admin/notifications?booking_id=…");
    if let Some(demo) = demo {
        println!(
            "  demo admin     {} / {}",
            demo.admin_email, demo.admin_password
        );
        println!(
            "  demo staff     {} / {}",
            demo.staff_email, demo.staff_password
        );
        println!(
            "  demo customer  {} / {}",
            demo.customer_email, demo.customer_password
        );
    }
    println!("Ctrl-C stops it; everything is kept for the next start.");
}
