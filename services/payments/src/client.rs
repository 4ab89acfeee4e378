//! A typed client for the payments API, for the booking service.

use boxoffice_config::Secret;
use boxoffice_telemetry::trace_context;
use reqwest::StatusCode;
use serde::de::DeserializeOwned;
use serde_json::Value;
use uuid::Uuid;

use crate::api::{IDEMPOTENCY_KEY, IDEMPOTENT_REPLAYED};
use crate::model::{CreatePayment, CreateRefund, Payment, PaymentList, Refund};

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// Another request with the key is in flight: retry later with the same key.
    #[error("a request with this idempotency key is still in flight")]
    InFlight,
    /// The processor did not answer: retrying with the same key is safe and never charges twice.
    #[error("payments could not reach the card processor")]
    Unavailable,
    /// Any other problem+json answer (4xx or 5xx).
    #[error("payments answered {status}: {code}: {title}")]
    Problem {
        status: u16,
        code: String,
        /// `reason` member, e.g. `idempotency_key_reused`, `refund_exceeds_charge`.
        reason: Option<String>,
        title: String,
    },
    #[error("payments unreachable: {0}")]
    Transport(#[from] reqwest::Error),
}

/// A write's answer, and whether it was replayed from an earlier request with the same key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayable<T> {
    pub value: T,
    pub replayed: bool,
}

/// Calls the payments API with the service credential, the trace context and, on writes, the
/// idempotency key.
#[derive(Clone)]
pub struct PaymentsClient {
    http: reqwest::Client,
    base_url: String,
    token: Secret,
}

impl PaymentsClient {
    /// `base_url` is e.g. `http://127.0.0.1:8104`; `token` the payments service credential.
    pub fn new(base_url: impl Into<String>, token: Secret) -> Result<Self, ClientError> {
        let http = reqwest::Client::builder()
            .timeout(std::time::Duration::from_secs(30))
            .build()?;
        Ok(Self::with_http(http, base_url, token))
    }

    pub fn with_http(http: reqwest::Client, base_url: impl Into<String>, token: Secret) -> Self {
        Self {
            http,
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            token,
        }
    }

    /// Charges a card. A declined card is `Ok` with `status: declined`; retry only with the same
    /// `idempotency_key` (derived from the booking) until an answer arrives.
    pub async fn create_payment(
        &self,
        idempotency_key: &str,
        request: &CreatePayment,
    ) -> Result<Replayable<Payment>, ClientError> {
        let builder = self
            .http
            .post(format!("{}/api/v1/payments", self.base_url))
            .header(IDEMPOTENCY_KEY, idempotency_key)
            .json(request);
        self.write(builder).await
    }

    /// Refunds `request.amount` (all that is left when `None`) of a payment.
    pub async fn refund(
        &self,
        payment_id: Uuid,
        idempotency_key: &str,
        request: &CreateRefund,
    ) -> Result<Replayable<Refund>, ClientError> {
        let builder = self
            .http
            .post(format!(
                "{}/api/v1/payments/{payment_id}/refunds",
                self.base_url
            ))
            .header(IDEMPOTENCY_KEY, idempotency_key)
            .json(request);
        self.write(builder).await
    }

    pub async fn payment(&self, id: Uuid) -> Result<Payment, ClientError> {
        let builder = self
            .http
            .get(format!("{}/api/v1/payments/{id}", self.base_url));
        Ok(self.send(builder).await?.0)
    }

    pub async fn payments_for_booking(
        &self,
        booking_id: Uuid,
    ) -> Result<Vec<Payment>, ClientError> {
        let builder = self
            .http
            // A UUID needs no escaping in a query string.
            .get(format!(
                "{}/api/v1/payments?booking_id={booking_id}",
                self.base_url
            ));
        let (list, _): (PaymentList, _) = self.send(builder).await?;
        Ok(list.data)
    }

    async fn write<T: DeserializeOwned>(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<Replayable<T>, ClientError> {
        let (value, replayed) = self.send(builder).await?;
        Ok(Replayable { value, replayed })
    }

    async fn send<T: DeserializeOwned>(
        &self,
        builder: reqwest::RequestBuilder,
    ) -> Result<(T, bool), ClientError> {
        let mut builder = builder.bearer_auth(self.token.expose());
        for (name, value) in trace_context::outbound() {
            builder = builder.header(name, value);
        }
        let response = builder.send().await?;
        let status = response.status();
        let replayed = response.headers().contains_key(IDEMPOTENT_REPLAYED);
        if status.is_success() {
            return Ok((response.json().await?, replayed));
        }
        let problem: Value = response.json().await.unwrap_or(Value::Null);
        let text = |k: &str| problem.get(k).and_then(Value::as_str).map(str::to_owned);
        Err(match status {
            StatusCode::CONFLICT if text("code").as_deref() == Some("idempotency_key_in_use") => {
                ClientError::InFlight
            }
            StatusCode::SERVICE_UNAVAILABLE => ClientError::Unavailable,
            _ => ClientError::Problem {
                status: status.as_u16(),
                code: text("code").unwrap_or_default(),
                reason: text("reason"),
                title: text("title").unwrap_or_default(),
            },
        })
    }
}
