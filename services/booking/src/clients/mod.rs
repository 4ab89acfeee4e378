//! The booking service's outbound dependencies, each behind a timeout, retries where safe and
//! its own circuit breaker.

pub mod cinema;
pub mod payments;
pub mod resilience;
pub mod seat_map_cache;
pub mod ttl_cache;
pub mod users;

pub use cinema::{CacheTimes, CinemaClient, CinemaError};
pub use payments::{PayError, PaymentsPort};
pub use resilience::{Breaker, CallPolicy};
pub use users::{Account, UsersClient, UsersError};
