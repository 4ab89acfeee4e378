use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use boxoffice_client::ApiClient;
use boxoffice_events::testing::TestVhost;
use boxoffice_notifications::smtp_sink::SmtpSink;
use boxoffice_store::{Database, PoolSettings};
use serde_json::Value;

pub const ADMIN_EMAIL: &str = "ops@boxoffice.test";
pub const ADMIN_PASSWORD: &str = "a staff password nobody guesses";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deployment {
    /// Six processes on PostgreSQL, RabbitMQ and Redis.
    Distributed,
    /// One `boxoffice all` process on SQLite files and the in-process bus.
    Embedded,
}

struct Process {
    child: Child,
    args: Vec<String>,
    env: Vec<(String, String)>,
    ready: Value,
}

pub struct Cluster {
    pub deployment: Deployment,
    pub gateway_url: String,
    pub smtp: SmtpSink,
    pub data_dir: tempfile::TempDir,
    processes: HashMap<&'static str, Process>,
    /// Database URL per service (distributed) — the audit reads them.
    pub database_urls: HashMap<&'static str, String>,
    vhost: Option<TestVhost>,
    extra_env: Vec<(String, String)>,
}

impl Drop for Cluster {
    fn drop(&mut self) {
        for process in self.processes.values_mut() {
            let _ = process.child.kill();
            let _ = process.child.wait();
        }
    }
}

/// Panic reports read from every process's log: a test that drives hostile input asserts that
/// there are none.
static PANICS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

pub fn panics() -> Vec<String> {
    PANICS.lock().map(|p| p.clone()).unwrap_or_default()
}

fn record_if_panic(line: &str, entry: Option<&Value>) {
    let panicked = match entry {
        Some(entry) => entry["message"] == "handler panicked",
        None => line.contains("panicked at"),
    };
    if panicked && let Ok(mut panics) = PANICS.lock() {
        panics.push(line.to_owned());
    }
}

/// Every ERROR and WARN line any process of this test binary logged, for tests that check
/// the log has what the client was not told.
static PROBLEMS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

pub fn logged_problems() -> Vec<String> {
    PROBLEMS.lock().unwrap_or_else(|p| p.into_inner()).clone()
}

fn binary() -> Command {
    Command::new(env!("CARGO_BIN_EXE_boxoffice"))
}

/// Spawns the binary and waits for the JSON log line `message == until`; every `service ready`
/// line before it is collected into the returned map by service name.
fn spawn(
    args: &[String],
    env: &[(String, String)],
    until: &str,
) -> (Child, HashMap<String, Value>) {
    let mut command = binary();
    command
        .args(["--log-format", "json"])
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    for (key, value) in env {
        command.env(key, value);
    }
    let mut child = command.spawn().expect("spawn boxoffice");
    let stderr = child.stderr.take().expect("stderr");
    let (sender, receiver) = std::sync::mpsc::channel();
    let wanted = until.to_owned();
    let name = args.last().cloned().unwrap_or_default();
    std::thread::spawn(move || {
        let mut ready = HashMap::new();
        let mut sent = false;
        for line in BufReader::new(stderr).lines() {
            let Ok(line) = line else { break };
            let parsed = serde_json::from_str::<Value>(&line).ok();
            record_if_panic(&line, parsed.as_ref());
            if let Some(entry) = parsed {
                if entry["message"] == "service ready"
                    && let Some(service) = entry["service"].as_str()
                {
                    ready.insert(service.to_owned(), entry.clone());
                }
                if !sent && entry["message"] == wanted.as_str() {
                    let _ = sender.send(Ok(std::mem::take(&mut ready)));
                    sent = true;
                }
                if entry["level"] == "ERROR" || entry["level"] == "WARN" {
                    eprintln!("[{name}] {line}");
                    PROBLEMS
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(line.clone());
                }
            }
        }
        if !sent {
            let _ = sender.send(Err(()));
        }
    });
    match receiver.recv_timeout(Duration::from_secs(60)) {
        Ok(Ok(ready)) => (child, ready),
        _ => {
            let _ = child.kill();
            panic!("boxoffice {args:?} did not become ready");
        }
    }
}

impl Cluster {
    pub async fn start(deployment: Deployment) -> Self {
        Self::start_with(deployment, &[]).await
    }

    /// Starts the deployment with extra settings (`BOXOFFICE_…` variables) for every process.
    pub async fn start_with(deployment: Deployment, settings: &[(&str, &str)]) -> Self {
        let smtp = SmtpSink::start().await.expect("smtp sink");
        let data_dir = tempfile::tempdir().expect("tempdir");
        let mut cluster = Self {
            deployment,
            gateway_url: String::new(),
            smtp,
            data_dir,
            processes: HashMap::new(),
            database_urls: HashMap::new(),
            vhost: None,
            extra_env: settings
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
        };
        match deployment {
            Deployment::Distributed => cluster.start_distributed().await,
            Deployment::Embedded => cluster.start_embedded(),
        }
        cluster.wait_until_ready().await;
        cluster
    }

    fn common_env(&self) -> Vec<(String, String)> {
        let smtp = self.smtp.addr();
        vec![
            (
                "BOXOFFICE_DATA_DIR".into(),
                self.data_dir.path().display().to_string(),
            ),
            ("BOXOFFICE_NOTIFICATIONS__EMAIL__KIND".into(), "smtp".into()),
            (
                "BOXOFFICE_NOTIFICATIONS__EMAIL__HOST".into(),
                smtp.ip().to_string(),
            ),
            (
                "BOXOFFICE_NOTIFICATIONS__EMAIL__PORT".into(),
                smtp.port().to_string(),
            ),
            ("BOXOFFICE_NOTIFICATIONS__EMAIL__TLS".into(), "none".into()),
            ("RUST_LOG".into(), "info,sqlx=warn".into()),
        ]
        .into_iter()
        .chain(self.extra_env.iter().cloned())
        .collect()
    }

    fn create_admin(&self, env: &[(String, String)]) {
        use std::io::Write;
        let mut command = binary();
        command
            .args([
                "users",
                "create-admin",
                "--email",
                ADMIN_EMAIL,
                "--password-stdin",
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        for (key, value) in env {
            command.env(key, value);
        }
        let mut child = command.spawn().expect("create-admin");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(ADMIN_PASSWORD.as_bytes())
            .expect("password");
        assert!(child.wait().expect("wait").success(), "create-admin failed");
    }

    fn start_embedded(&mut self) {
        let mut env = self.common_env();
        for key in [
            "USERS__LISTEN",
            "CINEMA__HTTP_ADDR",
            "CINEMA__GRPC_ADDR",
            "PAYMENTS__LISTEN",
            "BOOKING__LISTEN",
            "NOTIFICATIONS__LISTEN",
            "GATEWAY__LISTEN",
        ] {
            env.push((format!("BOXOFFICE_{key}"), "127.0.0.1:0".into()));
        }
        self.create_admin(&env);
        let args = vec!["all".to_owned()];
        let (child, ready) = spawn(&args, &env, "boxoffice ready");
        self.gateway_url = format!(
            "http://{}",
            ready["gateway"]["http_addr"]
                .as_str()
                .expect("gateway address")
        );
        self.processes.insert(
            "all",
            Process {
                child,
                args,
                env,
                ready: serde_json::json!(ready),
            },
        );
    }

    async fn start_distributed(&mut self) {
        let vhost = TestVhost::create().await.expect("vhost");
        let redis_prefix = format!("bo_e2e_{}:", uuid::Uuid::now_v7().simple());
        let mut env = self.common_env();
        env.push(("BOXOFFICE_AMQP_URL".into(), vhost.url.clone()));
        env.push((
            "BOXOFFICE_REDIS_URL".into(),
            "redis://127.0.0.1:6379".into(),
        ));
        env.push((
            "BOXOFFICE_GATEWAY__RATE_LIMIT__REDIS_KEY_PREFIX".into(),
            format!("{redis_prefix}rl:"),
        ));
        env.push((
            "BOXOFFICE_NOTIFICATIONS__REDIS_PREFIX".into(),
            format!("{redis_prefix}n:"),
        ));
        for service in ["users", "cinema", "payments", "booking", "notifications"] {
            let url = boxoffice_store::testing::fresh_postgres_url()
                .await
                .expect("database");
            env.push((
                format!("BOXOFFICE_{}__DATABASE_URL", service.to_uppercase()),
                url.clone(),
            ));
            self.database_urls.insert(service, url);
        }
        self.vhost = Some(vhost);
        self.create_admin(&env);

        let users = self.spawn_service("users", &env, &[("USERS__LISTEN", "127.0.0.1:0")]);
        let users_addr = users["http_addr"].as_str().expect("users").to_owned();
        env.push(("BOXOFFICE_USERS__LISTEN".into(), users_addr.clone()));
        let cinema = self.spawn_service(
            "cinema",
            &env,
            &[
                ("CINEMA__HTTP_ADDR", "127.0.0.1:0"),
                ("CINEMA__GRPC_ADDR", "127.0.0.1:0"),
            ],
        );
        // Later restarts of cinema reuse its ports, so the others keep finding it.
        let cinema_http = cinema["http_addr"].as_str().expect("cinema").to_owned();
        let cinema_grpc = cinema["grpc_addr"]
            .as_str()
            .expect("cinema grpc")
            .to_owned();
        env.push(("BOXOFFICE_CINEMA__HTTP_ADDR".into(), cinema_http.clone()));
        env.push(("BOXOFFICE_CINEMA__GRPC_ADDR".into(), cinema_grpc.clone()));
        if let Some(process) = self.processes.get_mut("cinema") {
            process
                .env
                .push(("BOXOFFICE_CINEMA__HTTP_ADDR".into(), cinema_http));
            process
                .env
                .push(("BOXOFFICE_CINEMA__GRPC_ADDR".into(), cinema_grpc));
        }
        let payments = self.spawn_service("payments", &env, &[("PAYMENTS__LISTEN", "127.0.0.1:0")]);
        env.push((
            "BOXOFFICE_PAYMENTS__LISTEN".into(),
            payments["http_addr"].as_str().expect("payments").to_owned(),
        ));
        let booking = self.spawn_service("booking", &env, &[("BOOKING__LISTEN", "127.0.0.1:0")]);
        env.push((
            "BOXOFFICE_BOOKING__LISTEN".into(),
            booking["http_addr"].as_str().expect("booking").to_owned(),
        ));
        let notifications = self.spawn_service(
            "notifications",
            &env,
            &[("NOTIFICATIONS__LISTEN", "127.0.0.1:0")],
        );
        // The gateway routes the back-office look-up there; restarts keep the port.
        let notifications_http = notifications["http_addr"]
            .as_str()
            .expect("notifications")
            .to_owned();
        env.push((
            "BOXOFFICE_NOTIFICATIONS__LISTEN".into(),
            notifications_http.clone(),
        ));
        if let Some(process) = self.processes.get_mut("notifications") {
            process
                .env
                .push(("BOXOFFICE_NOTIFICATIONS__LISTEN".into(), notifications_http));
        }
        let gateway = self.spawn_service("gateway", &env, &[("GATEWAY__LISTEN", "127.0.0.1:0")]);
        self.gateway_url = format!("http://{}", gateway["http_addr"].as_str().expect("gateway"));
    }

    /// Starts another gateway process with the same settings (and so the same Redis budget);
    /// returns its base URL.
    pub fn start_second_gateway(&mut self) -> String {
        let mut env = self
            .processes
            .get("gateway")
            .expect("distributed")
            .env
            .clone();
        env.retain(|(key, _)| key != "BOXOFFICE_GATEWAY__LISTEN");
        env.push(("BOXOFFICE_GATEWAY__LISTEN".into(), "127.0.0.1:0".into()));
        let args = vec!["gateway".to_owned()];
        let (child, ready) = spawn(&args, &env, "service ready");
        let url = format!(
            "http://{}",
            ready["gateway"]["http_addr"].as_str().expect("gateway")
        );
        self.processes.insert(
            "gateway-2",
            Process {
                child,
                args,
                env,
                ready: serde_json::json!(ready),
            },
        );
        url
    }

    fn spawn_service(
        &mut self,
        name: &'static str,
        base: &[(String, String)],
        extra: &[(&str, &str)],
    ) -> Value {
        let mut env = base.to_vec();
        env.extend(
            extra
                .iter()
                .map(|(k, v)| (format!("BOXOFFICE_{k}"), (*v).to_owned())),
        );
        let args = vec![name.to_owned()];
        let (child, ready) = spawn(&args, &env, "service ready");
        let entry = ready.get(name).cloned().expect("ready line");
        self.processes.insert(
            name,
            Process {
                child,
                args,
                env,
                ready: entry.clone(),
            },
        );
        entry
    }

    /// Kills a process the hard way (SIGKILL): no graceful anything.
    pub fn kill(&mut self, name: &str) {
        let process = self.processes.get_mut(name).expect("known process");
        process.child.kill().expect("kill");
        process.child.wait().expect("wait");
    }

    /// Starts a killed process again with the same arguments, environment and ports (a
    /// restarted `all` binds new ports: the gateway address is updated).
    pub fn restart(&mut self, name: &str) {
        let process = self.processes.get_mut(name).expect("known process");
        let until = if name == "all" {
            "boxoffice ready"
        } else {
            "service ready"
        };
        let (child, ready) = spawn(&process.args, &process.env, until);
        process.child = child;
        if name == "all" {
            self.gateway_url = format!(
                "http://{}",
                ready["gateway"]["http_addr"]
                    .as_str()
                    .expect("gateway address")
            );
        }
    }

    pub async fn wait_until_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let client = reqwest::Client::new();
        loop {
            let ok = client
                .get(format!("{}/readyz", self.gateway_url))
                .send()
                .await
                .is_ok_and(|r| r.status().is_success());
            if ok {
                return;
            }
            assert!(Instant::now() < deadline, "the gateway never became ready");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// What each service of process `name` ("all" when embedded) announced in its
    /// `service ready` log line, by service: its listener addresses.
    pub fn ready(&self, name: &str) -> &Value {
        &self.processes[name].ready
    }

    pub fn api(&self) -> ApiClient {
        ApiClient::new(&self.gateway_url)
    }

    pub async fn admin(&self) -> ApiClient {
        let session = self
            .api()
            .login(ADMIN_EMAIL, ADMIN_PASSWORD)
            .await
            .expect("admin login");
        self.api().with_token(session.access_token)
    }

    /// Connects to one service's store, wherever this deployment keeps it.
    pub async fn store(&self, service: &str, migrations: &boxoffice_store::Migrations) -> Database {
        let url = match self.deployment {
            Deployment::Distributed => self.database_urls[service].clone(),
            Deployment::Embedded => format!(
                "sqlite:{}",
                self.data_dir.path().join(format!("{service}.db")).display()
            ),
        };
        Database::connect(
            &url,
            migrations,
            PoolSettings {
                max_connections: 2,
                ..PoolSettings::default()
            },
        )
        .await
        .expect("connect to a store")
    }

    /// Runs the cross-service audit over every store of the deployment.
    pub async fn audit(&self) -> boxoffice_audit::Report {
        let booking = self.store("booking", &boxoffice_booking::MIGRATIONS).await;
        let cinema = self.store("cinema", &boxoffice_cinema::MIGRATIONS).await;
        let payments = self
            .store("payments", &boxoffice_payments::store::migrations())
            .await;
        let users = self.store("users", &boxoffice_users::MIGRATIONS).await;
        let notifications = self
            .store("notifications", &boxoffice_notifications::store::MIGRATIONS)
            .await;
        let report = boxoffice_audit::run(
            boxoffice_audit::Stores {
                booking: &booking,
                cinema: &cinema,
                payments: &payments,
                notifications: Some(&notifications),
                users: Some(&users),
            },
            boxoffice_audit::Allowances::default(),
        )
        .await
        .expect("audit");
        for db in [booking, cinema, payments, users, notifications] {
            db.close().await;
        }
        report
    }

    /// Audits until every store agrees (events still in flight settle) or `within` has
    /// passed; fails with the audit's table, prefixed by `context`.
    pub async fn audit_until_clean(&self, within: Duration, context: &str) {
        let deadline = Instant::now() + within;
        loop {
            let report = self.audit().await;
            if report.ok {
                return;
            }
            assert!(Instant::now() < deadline, "{context}{}", report.table());
            tokio::time::sleep(Duration::from_millis(500)).await;
        }
    }

    /// Polls `condition` until it holds or `within` has passed.
    pub async fn eventually<F, Fut>(within: Duration, what: &str, mut condition: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let deadline = Instant::now() + within;
        while !condition().await {
            assert!(Instant::now() < deadline, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}
