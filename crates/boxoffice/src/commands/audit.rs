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
        let mut report = boxoffice_audit::run(
            boxoffice_audit::Stores {
                booking: &self.booking,
                cinema: &self.cinema,
                payments: &self.payments,
                notifications: Some(&self.notifications),
                users: Some(&self.users),
            },
            boxoffice_audit::Allowances::default(),
        )
        .await?;
        add_finding(&mut report, check_ins(&self.booking).await?);
        Ok(report)
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

/// I6, the booking service's own invariant (kept there, next to the check-ins it reads): no
/// check-in of a ticket whose booking is not CONFIRMED, and every check-in's ticket exists and
/// is of the booking and showtime the check-in names.
pub async fn check_ins(booking: &Database) -> anyhow::Result<boxoffice_audit::Finding> {
    let audit = boxoffice_booking::audit::check_ins(booking).await?;
    Ok(boxoffice_audit::Finding {
        invariant: "I6",
        description: "check-ins are of existing tickets of CONFIRMED bookings, as named",
        checked: audit.checked,
        violations: audit.violations,
    })
}

fn add_finding(report: &mut boxoffice_audit::Report, finding: boxoffice_audit::Finding) {
    report.ok &= finding.ok();
    report.findings.push(finding);
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> boxoffice_audit::Report {
        boxoffice_audit::Report {
            ok: true,
            findings: Vec::new(),
        }
    }

    fn i6(violations: Vec<String>) -> boxoffice_audit::Finding {
        boxoffice_audit::Finding {
            invariant: "I6",
            description: "check-ins",
            checked: 1,
            violations,
        }
    }

    #[test]
    fn a_check_in_violation_fails_the_audit_and_a_clean_one_does_not() {
        let mut clean = report();
        add_finding(&mut clean, i6(Vec::new()));
        assert!(clean.ok);
        assert!(clean.table().contains("I6"));
        let mut dirty = report();
        add_finding(
            &mut dirty,
            i6(vec!["ticket X is of a REFUNDED booking".into()]),
        );
        assert!(!dirty.ok);
        assert!(dirty.table().contains("ticket X"));
    }
}
