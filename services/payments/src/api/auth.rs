//! The service credential (ADR 0201): every API call carries `Authorization: Bearer <token>`
//! with the shared secret configured for the payments service and its one caller, booking.
//! The check is the one every internal service uses (`boxoffice_http::credential`).

pub use boxoffice_http::credential::{ServiceCredential, require_credential};
