//! Telemetry shared by every service: log output, OpenTelemetry traces with W3C propagation,
//! and the metrics recorder.

pub mod logging;
pub mod metrics_recorder;
pub mod trace_context;
pub mod tracer;

pub use logging::LogFormat;
pub use tracer::{Telemetry, TelemetryError, TelemetrySettings, init, init_for_tests};
