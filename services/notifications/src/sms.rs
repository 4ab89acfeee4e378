//! The SMS port. The only adapter is a simulated provider that records what it would send;
//! a real provider plugs in behind the same trait.

use std::sync::{Arc, Mutex, PoisonError};

use async_trait::async_trait;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmsError {
    #[error("sms not sent (will retry): {0}")]
    Transient(String),
    #[error("sms rejected: {0}")]
    Rejected(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsMessage {
    /// Stable per event, so a provider that supports it can deduplicate a resend.
    pub id: String,
    pub to: String,
    pub text: String,
}

#[async_trait]
pub trait SmsSender: Send + Sync + 'static {
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError>;
}

/// Records every message instead of sending it.
#[derive(Debug, Clone, Default)]
pub struct SimulatedSms {
    sent: Arc<Mutex<Vec<SmsMessage>>>,
}

impl SimulatedSms {
    pub fn new() -> Self {
        Self::default()
    }

    /// What would have been sent, in order.
    pub fn sent(&self) -> Vec<SmsMessage> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait]
impl SmsSender for SimulatedSms {
    async fn send(&self, message: &SmsMessage) -> Result<(), SmsError> {
        let digits = message.to.chars().filter(char::is_ascii_digit).count();
        if !message.to.starts_with('+') || !(8..=15).contains(&digits) {
            return Err(SmsError::Rejected(format!(
                "{:?} is not an E.164 phone number",
                message.to
            )));
        }
        tracing::info!(to = %message.to, id = %message.id, "simulated SMS sent");
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message.clone());
        Ok(())
    }
}
