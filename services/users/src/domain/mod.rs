//! The rules of accounts, free of I/O.

mod email;
mod name;
mod password;
mod throttle;

pub use email::Email;
pub use name::UserName;
pub use password::{Password, PasswordRejection};
pub use throttle::{ThrottlePolicy, ThrottleState, throttle_key};

/// Why a registration was refused, field by field.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub field: &'static str,
    pub message: String,
}

impl FieldError {
    pub fn new(field: &'static str, message: impl Into<String>) -> Self {
        Self {
            field,
            message: message.into(),
        }
    }
}
