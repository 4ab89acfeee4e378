//! `--demo` / `boxoffice seed demo`: loads the demo chain once, through the admin API.

mod catalog;

use std::path::Path;

use anyhow::Context;
use boxoffice_client::ApiClient;
use chrono::Utc;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The demo accounts. Passwords are generated per installation (never a well-known default) and
/// kept in `<data_dir>/demo-credentials.json`, readable by the owner only.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoCredentials {
    pub admin_email: String,
    pub admin_password: String,
    pub customer_email: String,
    pub customer_password: String,
    /// The door/desk account (role staff). Empty in files written before the role existed;
    /// [`DemoCredentials::add_missing_staff`] fills them in.
    #[serde(default)]
    pub staff_email: String,
    #[serde(default)]
    pub staff_password: String,
}

const CREDENTIALS_FILE: &str = "demo-credentials.json";
const STAFF_EMAIL: &str = "staff@boxoffice.demo";

impl DemoCredentials {
    /// Reads the credentials of an earlier start, or makes new ones.
    pub fn load_or_generate(data_dir: &Path) -> anyhow::Result<(Self, bool)> {
        let path = data_dir.join(CREDENTIALS_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((
                serde_json::from_str(&text).context("demo credentials file")?,
                false,
            )),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok((
                Self {
                    admin_email: "admin@boxoffice.demo".into(),
                    admin_password: random_password()?,
                    customer_email: "customer@boxoffice.demo".into(),
                    customer_password: random_password()?,
                    staff_email: STAFF_EMAIL.into(),
                    staff_password: random_password()?,
                },
                true,
            )),
            Err(e) => Err(e.into()),
        }
    }

    /// Gives credentials of an installation older than the staff role a staff account's;
    /// true when it did (the account still has to be created, and the file saved).
    pub fn add_missing_staff(&mut self) -> anyhow::Result<bool> {
        if !self.staff_email.is_empty() {
            return Ok(false);
        }
        self.staff_email = STAFF_EMAIL.into();
        self.staff_password = random_password()?;
        Ok(true)
    }

    pub fn save(&self, data_dir: &Path) -> anyhow::Result<()> {
        use std::io::Write;
        std::fs::create_dir_all(data_dir)?;
        let path = data_dir.join(CREDENTIALS_FILE);
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut file = options.open(&path)?;
        file.write_all(serde_json::to_string_pretty(self)?.as_bytes())?;
        Ok(())
    }
}

fn random_password() -> anyhow::Result<String> {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| anyhow::anyhow!("random source: {e}"))?;
    Ok(bytes
        .iter()
        .map(|b| ALPHABET[*b as usize % ALPHABET.len()] as char)
        .collect())
}

/// What seeding did.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Seeded {
    pub cinemas: usize,
    pub auditoriums: usize,
    pub movies: usize,
    pub showtimes: usize,
}

/// Loads the demo catalog through the admin API at `admin` (an admin's client), unless the
/// catalog already has cinemas: seeding twice must not duplicate anything.
pub async fn seed_catalog(admin: &ApiClient) -> anyhow::Result<Option<Seeded>> {
    let existing: Vec<Value> = admin.get("/api/v1/admin/cinemas").await?;
    if !existing.is_empty() {
        return Ok(None);
    }
    let mut seeded = Seeded::default();
    let mut movie_ids = Vec::new();
    for movie in catalog::movies() {
        let created: Value = admin.post("/api/v1/admin/movies", movie).await?;
        movie_ids.push(id_of(&created)?);
        seeded.movies += 1;
    }
    let now = Utc::now();
    let mut auditorium_index = 0;
    for cinema in catalog::cinemas() {
        let created: Value = admin
            .post("/api/v1/admin/cinemas", cinema.body.clone())
            .await?;
        let cinema_id = id_of(&created)?;
        seeded.cinemas += 1;
        let today = now.with_timezone(&cinema.time_zone).date_naive();
        let (standard, premium, accessible) = cinema.prices;
        let prices = json!({"currency": cinema.currency, "standard": standard, "premium": premium, "accessible": accessible});
        for auditorium in &cinema.auditoriums {
            let created: Value = admin
                .post(
                    &format!("/api/v1/admin/cinemas/{cinema_id}/auditoriums"),
                    auditorium.clone(),
                )
                .await?;
            let auditorium_id = id_of(&created)?;
            seeded.auditoriums += 1;
            for (movie_id, starts_at) in
                catalog::showtimes(auditorium_index, &movie_ids, today, cinema.time_zone, now)
            {
                let _: Value = admin
                    .post(
                        "/api/v1/admin/showtimes",
                        json!({"movie_id": movie_id, "auditorium_id": auditorium_id, "starts_at": starts_at, "prices": prices}),
                    )
                    .await?;
                seeded.showtimes += 1;
            }
            auditorium_index += 1;
        }
    }
    Ok(Some(seeded))
}

fn id_of(created: &Value) -> anyhow::Result<String> {
    created["id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| anyhow::anyhow!("the admin API answered without an id: {created}"))
}
