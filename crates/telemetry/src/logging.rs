use std::io::IsTerminal;

use tracing_subscriber::Layer;
use tracing_subscriber::fmt::format::FmtSpan;
use tracing_subscriber::registry::LookupSpan;

/// How log lines are written to standard error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    /// Human-readable lines on a terminal, JSON lines otherwise.
    #[default]
    Auto,
    Pretty,
    Json,
}

impl LogFormat {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "auto" => Some(Self::Auto),
            "pretty" | "text" => Some(Self::Pretty),
            "json" => Some(Self::Json),
            _ => None,
        }
    }

    fn wants_json(self) -> bool {
        match self {
            Self::Auto => !std::io::stderr().is_terminal(),
            Self::Pretty => false,
            Self::Json => true,
        }
    }
}

/// The log output to standard error. JSON lines list every open span with its fields, so a
/// line logged in a saga step or a gRPC call still carries the `trace_id` of the request or
/// message span that started the work.
pub(crate) fn fmt_layer<S>(format: LogFormat) -> Box<dyn Layer<S> + Send + Sync>
where
    S: tracing::Subscriber + for<'a> LookupSpan<'a>,
{
    let layer = tracing_subscriber::fmt::layer()
        .with_writer(std::io::stderr)
        .with_span_events(FmtSpan::NONE);
    if format.wants_json() {
        layer
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_span_list(true)
            .boxed()
    } else {
        layer.compact().boxed()
    }
}
