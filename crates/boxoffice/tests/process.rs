//! The real binary, as an operator runs it.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn boxoffice() -> Command {
    Command::new(env!("CARGO_BIN_EXE_boxoffice"))
}

/// Spawns `command` with JSON logs on stderr and reads log entries until one satisfies
/// `until`; returns the child and every entry read. The rest of the log is drained in a thread
/// so the child never blocks on a full pipe.
fn spawn_logged(
    command: &mut Command,
    until: impl Fn(&serde_json::Value) -> bool,
) -> (Child, Vec<serde_json::Value>) {
    let mut child = command
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("spawn boxoffice");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut entries = Vec::new();
    loop {
        let line = lines
            .next()
            .expect("the process exited early")
            .expect("read log");
        let Ok(entry) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        let done = until(&entry);
        entries.push(entry);
        if done {
            break;
        }
    }
    std::thread::spawn(move || for _ in lines {});
    (child, entries)
}

/// Starts `boxoffice users` on a free port; returns the child and its address.
fn start_users(data_dir: &std::path::Path) -> (Child, String) {
    let (child, entries) = spawn_logged(
        boxoffice()
            .args(["--log-format", "json", "--data-dir"])
            .arg(data_dir)
            .args(["users", "--listen", "127.0.0.1:0"]),
        |entry| entry["http_addr"].is_string(),
    );
    let addr = entries
        .last()
        .and_then(|e| e["http_addr"].as_str())
        .expect("address");
    (child, addr.to_owned())
}

/// Runs `boxoffice users create-admin` with `password` on standard input.
fn create_admin(data_dir: &std::path::Path, email: &str, password: &str) -> std::process::Output {
    use std::io::Write;
    let mut create = boxoffice()
        .arg("--data-dir")
        .arg(data_dir)
        .args([
            "users",
            "create-admin",
            "--email",
            email,
            "--password-stdin",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    create
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{password}\n").as_bytes())
        .expect("write");
    create.wait_with_output().expect("wait")
}

fn wait_with_deadline(child: &mut Child, deadline: Duration) -> std::process::ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("wait") {
            return status;
        }
        assert!(
            started.elapsed() < deadline,
            "the process did not exit in time"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test]
async fn sigterm_stops_the_service_cleanly_with_exit_code_zero() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut child, addr) = start_users(dir.path());
    let health = reqwest::get(format!("http://{addr}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(health.status(), 200);

    let pid = child.id().to_string();
    let killed = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    let status = wait_with_deadline(&mut child, Duration::from_secs(15));
    assert!(status.success(), "{status:?}");
}

#[tokio::test]
async fn create_admin_reads_the_password_from_stdin_and_the_admin_can_log_in() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = create_admin(
        dir.path(),
        "Ops@Example.com",
        "correct horse battery staple",
    );
    assert!(output.status.success());
    assert!(String::from_utf8_lossy(&output.stdout).contains("ops@example.com"));

    let (mut child, addr) = start_users(dir.path());
    let login: serde_json::Value = reqwest::Client::new()
        .post(format!("http://{addr}/api/v1/auth/login"))
        .json(&serde_json::json!({"email": "ops@example.com", "password": "correct horse battery staple"}))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    assert_eq!(login["user"]["role"], "admin");
    child.kill().expect("kill");
    child.wait().expect("wait");
}

#[test]
fn a_weak_admin_password_is_refused_with_a_clear_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let output = create_admin(dir.path(), "ops@example.com", "password123");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("too common"));
}

#[test]
fn settings_from_the_environment_are_overridden_by_flags() {
    let dir = tempfile::tempdir().expect("tempdir");
    // The env var points at an unsupported URL; the flag wins, so the command succeeds.
    let output = boxoffice()
        .env("BOXOFFICE_USERS__DATABASE_URL", "mysql://nowhere/users")
        .arg("--data-dir")
        .arg(dir.path())
        .args([
            "users",
            "create-admin",
            "--email",
            "a@example.com",
            "--password-stdin",
            "--database-url",
        ])
        .arg(format!("sqlite:{}", dir.path().join("flag.db").display()))
        .stdin(Stdio::null())
        .output()
        .expect("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("unsupported database url"), "{stderr}");
    assert!(dir.path().join("flag.db").exists());

    // Without the flag, the environment applies and is refused.
    let output = boxoffice()
        .env("BOXOFFICE_USERS__DATABASE_URL", "mysql://nowhere/users")
        .arg("--data-dir")
        .arg(dir.path())
        .arg("migrate")
        .output()
        .expect("run");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("unsupported database url"));
}

/// Starts `boxoffice all --demo` with every service on a free port; returns the child and the
/// log entries up to "boxoffice ready".
fn start_all_with_demo(data_dir: &std::path::Path) -> (Child, Vec<serde_json::Value>) {
    let mut command = boxoffice();
    for key in [
        "USERS__LISTEN",
        "CINEMA__HTTP_ADDR",
        "CINEMA__GRPC_ADDR",
        "PAYMENTS__LISTEN",
        "BOOKING__LISTEN",
        "NOTIFICATIONS__LISTEN",
        "GATEWAY__LISTEN",
    ] {
        command.env(format!("BOXOFFICE_{key}"), "127.0.0.1:0");
    }
    command
        .args(["--log-format", "json", "--data-dir"])
        .arg(data_dir)
        .args(["all", "--demo"]);
    spawn_logged(&mut command, |entry| entry["message"] == "boxoffice ready")
}

#[tokio::test]
async fn all_with_demo_seeds_once_and_keeps_everything_across_a_restart() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut first, ready) = start_all_with_demo(dir.path());
    let seeded = ready
        .iter()
        .find(|e| e["message"] == "demo catalog loaded")
        .expect("seeded on first start");
    assert_eq!(seeded["cinemas"], 2);
    assert_eq!(seeded["auditoriums"], 5);
    assert_eq!(seeded["movies"], 8);
    let credentials: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("demo-credentials.json")).expect("credentials"),
    )
    .expect("json");
    Command::new("kill")
        .args(["-TERM", &first.id().to_string()])
        .status()
        .expect("kill");
    assert!(wait_with_deadline(&mut first, Duration::from_secs(20)).success());

    let (mut second, ready) = start_all_with_demo(dir.path());
    assert!(
        ready.iter().all(|e| e["message"] != "demo catalog loaded"),
        "seeded twice"
    );
    // Everything goes through the gateway, as a client would.
    let gateway = ready
        .iter()
        .find(|e| e["message"] == "service ready" && e["service"] == "gateway")
        .expect("gateway ready");
    let api = boxoffice_client::ApiClient::new(format!(
        "http://{}",
        gateway["http_addr"].as_str().expect("addr")
    ));
    let admin = api
        .login(
            credentials["admin_email"].as_str().expect("email"),
            credentials["admin_password"].as_str().expect("pw"),
        )
        .await
        .expect("the demo admin can log in after a restart");
    assert_eq!(admin.user.role, "admin");
    let catalog = api.with_token(admin.access_token);
    let cinemas: Vec<serde_json::Value> =
        catalog.get("/api/v1/admin/cinemas").await.expect("cinemas");
    assert_eq!(cinemas.len(), 2);
    let movies: Vec<serde_json::Value> = catalog.get("/api/v1/admin/movies").await.expect("movies");
    assert_eq!(movies.len(), 8);
    Command::new("kill")
        .args(["-TERM", &second.id().to_string()])
        .status()
        .expect("kill");
    assert!(wait_with_deadline(&mut second, Duration::from_secs(20)).success());
}

/// Every directory and file under `dir`, with its permission bits.
#[cfg(unix)]
fn modes(dir: &std::path::Path, out: &mut Vec<(std::path::PathBuf, u32)>) {
    use std::os::unix::fs::PermissionsExt;
    for entry in std::fs::read_dir(dir).expect("read dir") {
        let path = entry.expect("entry").path();
        let mode = std::fs::symlink_metadata(&path)
            .expect("metadata")
            .permissions()
            .mode()
            & 0o777;
        let is_dir = path.is_dir();
        out.push((path.clone(), mode));
        if is_dir {
            modes(&path, out);
        }
    }
}

#[cfg(unix)]
#[tokio::test]
async fn the_data_directory_and_every_file_in_it_are_private_to_the_user() {
    let parent = tempfile::tempdir().expect("tempdir");
    let dir = parent.path().join("boxoffice-data");
    // A store with its WAL, signing keys and an account written by two processes.
    let created = create_admin(&dir, "ops@example.com", "correct horse battery staple");
    assert!(created.status.success());
    let (mut child, addr) = start_users(&dir);
    let health = reqwest::get(format!("http://{addr}/readyz"))
        .await
        .expect("readyz");
    assert_eq!(health.status(), 200);
    let mut found = vec![(dir.clone(), {
        use std::os::unix::fs::PermissionsExt;
        std::fs::metadata(&dir).expect("dir").permissions().mode() & 0o777
    })];
    modes(&dir, &mut found);
    child.kill().expect("kill");
    child.wait().expect("wait");
    assert!(
        found
            .iter()
            .any(|(p, _)| p.extension().is_some_and(|e| e == "pem")),
        "keys were written: {found:?}"
    );
    assert!(
        found
            .iter()
            .any(|(p, _)| p.to_string_lossy().ends_with("-wal")),
        "a WAL file was written: {found:?}"
    );
    let open: Vec<_> = found
        .iter()
        .filter(|(p, mode)| {
            let wanted = if p.is_dir() { 0o700 } else { 0o600 };
            *mode != wanted
        })
        .collect();
    let open: Vec<String> = open
        .iter()
        .map(|(p, mode)| format!("{} {mode:o}", p.display()))
        .collect();
    assert!(open.is_empty(), "readable by others: {open:?}");
}
