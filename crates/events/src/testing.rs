//! Test helpers (feature `testing`): a throwaway RabbitMQ virtual host per test, created and
//! deleted with `rabbitmqctl` (which works whether or not the management plugin is enabled),
//! and ways to look into queues.

use std::io;
use std::process::Stdio;

use lapin::options::{BasicAckOptions, BasicGetOptions, QueueDeclareOptions};
use lapin::types::FieldTable;

use crate::rabbit::connect;
use crate::{BusError, rabbit};

/// The broker tests use; `BOXOFFICE_TEST_AMQP_URL` overrides it (without a vhost path).
pub fn amqp_base_url() -> String {
    std::env::var("BOXOFFICE_TEST_AMQP_URL")
        .unwrap_or_else(|_| "amqp://guest:guest@127.0.0.1:5672".to_owned())
}

fn rabbitmqctl_program() -> String {
    std::env::var("BOXOFFICE_TEST_RABBITMQCTL").unwrap_or_else(|_| "rabbitmqctl".to_owned())
}

/// Runs `rabbitmqctl` with `args`; an error carries its output.
pub async fn rabbitmqctl(args: &[&str]) -> io::Result<()> {
    let output = tokio::process::Command::new(rabbitmqctl_program())
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await?;
    if output.status.success() {
        Ok(())
    } else {
        Err(io::Error::other(format!(
            "rabbitmqctl {args:?}: {}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}

/// A virtual host of its own for one test, deleted when dropped.
#[derive(Debug)]
pub struct TestVhost {
    pub name: String,
    /// The AMQP URL of the vhost, for `RabbitBus::new`.
    pub url: String,
}

impl TestVhost {
    pub async fn create() -> io::Result<Self> {
        let name = format!("bo_test_{}", uuid::Uuid::now_v7().simple());
        rabbitmqctl(&["add_vhost", &name]).await?;
        rabbitmqctl(&["set_permissions", "-p", &name, "guest", ".*", ".*", ".*"]).await?;
        let url = format!("{}/{name}", amqp_base_url());
        Ok(Self { name, url })
    }

    /// Closes every client connection to this vhost, as a broker restart would.
    pub async fn close_connections(&self) -> io::Result<()> {
        rabbitmqctl(&[
            "close_all_connections",
            "--vhost",
            &self.name,
            "closed by a test",
        ])
        .await
    }

    /// Makes the broker unavailable for this vhost: no connection is accepted (a limit of 0)
    /// and the open ones are closed. Other tests' vhosts are not affected.
    pub async fn take_down(&self) -> io::Result<()> {
        rabbitmqctl(&[
            "set_vhost_limits",
            "-p",
            &self.name,
            r#"{"max-connections": 0}"#,
        ])
        .await?;
        self.close_connections().await
    }

    /// Accepts connections again after [`take_down`](Self::take_down).
    pub async fn bring_up(&self) -> io::Result<()> {
        rabbitmqctl(&[
            "set_vhost_limits",
            "-p",
            &self.name,
            r#"{"max-connections": -1}"#,
        ])
        .await
    }

    /// Messages ready in `queue` (not counting unacknowledged ones).
    pub async fn ready_messages(&self, queue: &str) -> Result<u32, BusError> {
        let connection = connect(&self.url).await?;
        let channel = connection.create_channel().await?;
        let declared = channel
            .queue_declare(
                queue.into(),
                QueueDeclareOptions {
                    passive: true,
                    ..QueueDeclareOptions::default()
                },
                FieldTable::default(),
            )
            .await?;
        let _ = connection.close(200, "bye".into()).await;
        Ok(declared.message_count())
    }

    /// Takes every message out of `queue`: body and headers.
    pub async fn drain(&self, queue: &str) -> Result<Vec<TakenMessage>, BusError> {
        let connection = connect(&self.url).await?;
        let channel = connection.create_channel().await?;
        let mut taken = Vec::new();
        while let Some(message) = channel
            .basic_get(queue.into(), BasicGetOptions::default())
            .await?
        {
            let headers = message.delivery.properties.headers().clone();
            taken.push(TakenMessage {
                reason: rabbit::headers::get_string(headers.as_ref(), rabbit::DEATH_REASON_HEADER),
                attempts: rabbit::headers::get_u32(headers.as_ref(), rabbit::ATTEMPT_HEADER),
                body: message.delivery.data.clone(),
            });
            message
                .delivery
                .acker
                .ack(BasicAckOptions::default())
                .await?;
        }
        let _ = connection.close(200, "bye".into()).await;
        Ok(taken)
    }
}

/// A message taken from a queue by [`TestVhost::drain`].
#[derive(Debug, Clone)]
pub struct TakenMessage {
    pub body: Vec<u8>,
    /// `x-death-reason`, on dead-lettered messages.
    pub reason: Option<String>,
    pub attempts: Option<u32>,
}

impl Drop for TestVhost {
    fn drop(&mut self) {
        // Blocking is fine here: tests only, and the vhost must not outlive the test.
        let _ = std::process::Command::new(rabbitmqctl_program())
            .args(["delete_vhost", &self.name])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}
