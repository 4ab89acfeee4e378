//! The command line. Every flag here overrides the same setting from the config file and the
//! `BOXOFFICE_*` environment; secrets are never flags (use the environment or `*_file`).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};
use serde_json::{Map, Value, json};

#[derive(Debug, Parser)]
#[command(
    name = "boxoffice",
    version,
    about = "An online box office for cinema chains",
    long_about = "An online box office for cinema chains: catalog, live seat maps, holds, payments and e-tickets.\n\n\
Settings come from flags, then BOXOFFICE_* environment variables (nested with __, e.g.\n\
BOXOFFICE_USERS__DATABASE_URL), then the --config TOML file, then built-in defaults that run\n\
everything on embedded storage in ./boxoffice-data."
)]
pub struct Cli {
    /// A TOML config file.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Where embedded stores, generated keys and mail are kept [default: ./boxoffice-data].
    #[arg(long, global = true, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Log output: auto (pretty on a terminal, JSON lines otherwise), pretty or json.
    #[arg(long, global = true, value_name = "FORMAT")]
    pub log_format: Option<String>,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run every service in one process, each on its own loopback port.
    All {
        /// Load the demo cinema chain on first start (and print the demo logins).
        #[arg(long)]
        demo: bool,
    },
    /// The users service: accounts and tokens (or one of its admin commands).
    Users(UsersCommand),
    /// The cinema service: catalog, seat layouts and the seat inventory (REST + gRPC).
    Cinema {
        #[command(flatten)]
        flags: ServiceFlags,
        /// Address of the gRPC server, e.g. 0.0.0.0:50051.
        #[arg(long, value_name = "ADDR")]
        grpc_listen: Option<SocketAddr>,
    },
    /// The payments service: idempotent card payments and refunds (internal).
    Payments {
        #[command(flatten)]
        flags: ServiceFlags,
    },
    /// The booking service: the public GraphQL API and the booking saga.
    Booking {
        #[command(flatten)]
        flags: ServiceFlags,
    },
    /// The notifications service: emails and SMS for every event, exactly once.
    Notifications {
        /// Address of its health and metrics endpoints, e.g. 0.0.0.0:8105.
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// The gateway: the single public entry point (routing, JWT checks, rate limits).
    Gateway {
        /// Address to listen on, e.g. 0.0.0.0:8000.
        #[arg(long, value_name = "ADDR")]
        listen: Option<SocketAddr>,
    },
    /// Check the invariants across every service's store; exits non-zero on any violation.
    Audit {
        /// Print the findings as JSON instead of a table.
        #[arg(long)]
        json: bool,
    },
    /// Load data into a running deployment.
    Seed {
        #[command(subcommand)]
        what: SeedWhat,
    },
    /// Load scenarios: rush, single, weekend, reads (through a gateway) or holds (cinema gRPC).
    Bench(BenchArgs),
    /// Apply every service's database migrations and exit.
    Migrate,
    /// GET a health URL once; exit 0 on a 2xx answer, 1 otherwise (the container's probe:
    /// the runtime image has no curl). Creates no file, not even the data directory.
    Healthcheck {
        /// e.g. http://127.0.0.1:8101/readyz.
        #[arg(long, value_name = "URL", env = "BOXOFFICE_HEALTHCHECK_URL")]
        url: String,
        /// How long the whole request may take.
        #[arg(long, value_name = "MS", default_value_t = 2000)]
        timeout_ms: u64,
    },
}

/// Flags every service subcommand has.
#[derive(Debug, Args)]
pub struct ServiceFlags {
    /// Address to listen on, e.g. 0.0.0.0:8101.
    #[arg(long, value_name = "ADDR")]
    pub listen: Option<SocketAddr>,
    /// postgres://… or sqlite:…; default: an SQLite file in the data directory.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
}

impl Command {
    /// The `service.name` of this process's traces; `boxoffice` for the all-in-one process
    /// and the tools, whose spans name their service in a `service` attribute.
    pub fn service_name(&self) -> &'static str {
        match self {
            Self::Users(_) => "users",
            Self::Cinema { .. } => "cinema",
            Self::Payments { .. } => "payments",
            Self::Booking { .. } => "booking",
            Self::Notifications { .. } => "notifications",
            Self::Gateway { .. } => "gateway",
            Self::All { .. }
            | Self::Audit { .. }
            | Self::Seed { .. }
            | Self::Bench(_)
            | Self::Migrate
            | Self::Healthcheck { .. } => "boxoffice",
        }
    }
}

impl ServiceFlags {
    /// Adds the given flags to a service's settings section; `listen_key` is what the service
    /// calls its HTTP address.
    fn insert_into(&self, section: &mut Map<String, Value>, listen_key: &str) {
        if let Some(listen) = self.listen {
            section.insert(listen_key.into(), json!(listen));
        }
        if let Some(url) = &self.database_url {
            section.insert("database_url".into(), json!(url));
        }
    }
}

#[derive(Debug, Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct UsersCommand {
    #[command(subcommand)]
    pub action: Option<UsersAction>,
    #[command(flatten)]
    pub flags: ServiceFlags,
}

#[derive(Debug, Subcommand)]
pub enum UsersAction {
    /// Create a staff (admin) account, or promote an existing account after checking its password.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long, default_value = "Administrator")]
        name: String,
        /// Read the password from standard input (the only way: never on the command line).
        #[arg(long, required = true)]
        password_stdin: bool,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Give an existing account a role (staff for the door and desk, admin, or back to
    /// customer); its next token carries it. Refuses an email with no account.
    GrantRole {
        #[arg(long)]
        email: String,
        /// customer | staff | admin
        #[arg(long, value_parser = parse_role)]
        role: boxoffice_auth::Role,
        #[arg(long, value_name = "URL")]
        database_url: Option<String>,
    },
    /// Generate a new token signing key; the old one stays in the JWKS. Restart the service after.
    RotateKey,
}

fn parse_role(value: &str) -> Result<boxoffice_auth::Role, String> {
    boxoffice_auth::Role::parse(value)
        .ok_or_else(|| format!("{value:?} is not a role (customer, staff or admin)"))
}

impl Cli {
    /// The flags that were given, shaped like the settings they override.
    pub fn overrides(&self) -> Value {
        let mut root = Map::new();
        if let Some(dir) = &self.data_dir {
            root.insert("data_dir".into(), json!(dir));
        }
        if let Some(format) = &self.log_format {
            root.insert("log_format".into(), json!(format));
        }
        let mut section = Map::new();
        let service = match &self.command {
            Command::Users(UsersCommand {
                action: None,
                flags,
            }) => {
                flags.insert_into(&mut section, "listen");
                Some("users")
            }
            Command::Users(UsersCommand {
                action:
                    Some(
                        UsersAction::CreateAdmin {
                            database_url: Some(url),
                            ..
                        }
                        | UsersAction::GrantRole {
                            database_url: Some(url),
                            ..
                        },
                    ),
                ..
            }) => {
                section.insert("database_url".into(), json!(url));
                Some("users")
            }
            Command::Cinema { flags, grpc_listen } => {
                flags.insert_into(&mut section, "http_addr");
                if let Some(addr) = grpc_listen {
                    section.insert("grpc_addr".into(), json!(addr));
                }
                Some("cinema")
            }
            Command::Booking { flags } => {
                flags.insert_into(&mut section, "listen");
                Some("booking")
            }
            Command::Notifications { listen } => {
                if let Some(listen) = listen {
                    section.insert("listen".into(), json!(listen));
                }
                Some("notifications")
            }
            Command::Gateway { listen } => {
                if let Some(listen) = listen {
                    section.insert("listen".into(), json!(listen));
                }
                Some("gateway")
            }
            Command::Payments { flags } => {
                flags.insert_into(&mut section, "listen");
                Some("payments")
            }
            _ => None,
        };
        if let Some(name) = service {
            root.insert(name.into(), Value::Object(section));
        }
        Value::Object(root)
    }
}

#[derive(Debug, Subcommand)]
pub enum SeedWhat {
    /// The demo chain (two cinemas, five auditoriums, eight movies, a week of showtimes) and the
    /// demo accounts, through the gateway; does nothing if the catalog already has cinemas.
    Demo {
        /// The gateway [default: from the gateway's listen setting].
        #[arg(long, value_name = "URL")]
        url: Option<String>,
    },
}

#[derive(Debug, Args)]
pub struct BenchArgs {
    /// rush | single | weekend | reads | holds
    pub scenario: String,
    /// A running gateway; without it an embedded instance is started in a temporary directory.
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Virtual customers.
    #[arg(long)]
    pub users: Option<usize>,
    /// Seconds the clock runs.
    #[arg(long, value_name = "SECS")]
    pub duration: Option<u64>,
    /// Open model: customers arriving per second (default: a closed loop of --users).
    #[arg(long, value_name = "PER_SEC")]
    pub rate: Option<f64>,
    /// Share of customers whose first card is declined (0..1).
    #[arg(long)]
    pub decline_share: Option<f64>,
    /// Write the machine-readable report here.
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Write a self-contained HTML report with plots here.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
    /// With --url: the staff account that sets the run up (password in BOXOFFICE_BENCH_ADMIN_PASSWORD).
    #[arg(long)]
    pub admin_email: Option<String>,
    /// holds: the cinema service's PostgreSQL database.
    #[arg(long, value_name = "URL")]
    pub database_url: Option<String>,
    /// holds: also run pgbench -N against this server (admin URL) as the ceiling.
    #[arg(long, value_name = "URL")]
    pub pgbench_url: Option<String>,
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn grant_role_takes_an_email_a_known_role_and_the_users_database() {
        let cli = Cli::try_parse_from([
            "boxoffice",
            "users",
            "grant-role",
            "--email",
            "door@example.com",
            "--role",
            "staff",
            "--database-url",
            "postgres://db/users",
        ])
        .expect("parses");
        let Command::Users(UsersCommand {
            action: Some(UsersAction::GrantRole { email, role, .. }),
            ..
        }) = &cli.command
        else {
            panic!("not grant-role: {cli:?}");
        };
        assert_eq!(email, "door@example.com");
        assert_eq!(*role, boxoffice_auth::Role::Staff);
        assert_eq!(
            cli.overrides()["users"]["database_url"],
            "postgres://db/users"
        );

        let unknown = Cli::try_parse_from([
            "boxoffice",
            "users",
            "grant-role",
            "--email",
            "door@example.com",
            "--role",
            "root",
        ]);
        assert!(unknown.is_err());
    }
}
