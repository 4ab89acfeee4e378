//! Telemetry shared by every service: log output, W3C trace context and the metrics recorder.

pub mod logging;
pub mod metrics_recorder;
pub mod trace_context;

pub use logging::{LogFormat, init_logging};
pub use trace_context::TraceContext;
