//! The booking service's outbound dependencies, each behind a timeout, retries where safe and
//! its own circuit breaker.

pub mod cinema;
pub mod payments;
pub mod resilience;
pub mod users;

pub use cinema::{CinemaClient, CinemaError};
pub use payments::{PayError, PaymentsPort};
pub use resilience::{Breaker, CallPolicy};
pub use users::{Account, UsersClient, UsersError};
