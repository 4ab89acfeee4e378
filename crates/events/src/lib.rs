//! Events between boxoffice services: the payload types, the event bus port with its RabbitMQ
//! and in-process adapters, and the relay that drains a service's transactional outbox.

pub mod bus;
pub mod memory;
pub mod payloads;
pub mod rabbit;
pub mod relay;
mod spans;
#[cfg(feature = "testing")]
pub mod testing;

pub use boxoffice_outbox::EventEnvelope;
pub use bus::{
    BusError, ConsumerHandle, DeadLetter, EventBus, EventHandler, HandleError, RetryPolicy,
    Subscription,
};
pub use memory::InProcessBus;
pub use rabbit::RabbitBus;
pub use relay::{RelayHandle, RelaySettings, spawn_relay};
pub(crate) use spans::{consume_span, publish_span};
