use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What a user may do. Admins run the catalog; staff work the door and the box-office desk
/// (look bookings up, check in: no catalog edits, no refunds); customers book.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Hash, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Customer,
    Staff,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Customer => "customer",
            Self::Staff => "staff",
            Self::Admin => "admin",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "customer" => Some(Self::Customer),
            "staff" => Some(Self::Staff),
            "admin" => Some(Self::Admin),
            _ => None,
        }
    }
}

/// The claims of an access token. `exp`, `nbf`, `iss`, `aud` and `sub` are always present and
/// always checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    pub sub: Uuid,
    pub role: Role,
    pub iss: String,
    pub aud: String,
    pub iat: i64,
    pub nbf: i64,
    pub exp: i64,
    pub jti: Uuid,
}
