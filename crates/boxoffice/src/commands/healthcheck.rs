//! `boxoffice healthcheck`: the probe a container runs on itself. The runtime image has no
//! shell and no curl, so the binary asks its own port.

use std::time::Duration;

/// Why a probe failed; the message is what `docker inspect` shows as the probe's output.
#[derive(Debug, thiserror::Error)]
pub enum HealthError {
    #[error("{url} answered {status}")]
    Unhealthy {
        url: String,
        status: reqwest::StatusCode,
    },
    #[error("{url} did not answer within {timeout:?}")]
    Timeout { url: String, timeout: Duration },
    #[error("{url} is unreachable")]
    Unreachable {
        url: String,
        #[source]
        source: reqwest::Error,
    },
}

/// GETs `url` once; healthy means a 2xx within `timeout`. No retries: the container runtime
/// already retries (`HEALTHCHECK --retries`, a probe's `failureThreshold`), and a probe that
/// retried inside itself would only hide a slow service.
pub async fn check(url: &str, timeout: Duration) -> Result<(), HealthError> {
    let unreachable = |source| HealthError::Unreachable {
        url: url.to_owned(),
        source,
    };
    let client = reqwest::Client::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(unreachable)?;
    let response = client.get(url).send().await.map_err(|e| {
        if e.is_timeout() {
            HealthError::Timeout {
                url: url.to_owned(),
                timeout,
            }
        } else {
            unreachable(e)
        }
    })?;
    let status = response.status();
    if status.is_success() {
        Ok(())
    } else {
        Err(HealthError::Unhealthy {
            url: url.to_owned(),
            status,
        })
    }
}
