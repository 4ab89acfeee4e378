//! W3C Trace Context (`traceparent`) without a tracing backend.
//!
//! Incoming requests carry or start a trace; the context is kept in a task-local for the
//! duration of the request so that outbound HTTP and gRPC clients can forward it as a child.

use std::fmt::Write;
use std::future::Future;

tokio::task_local! {
    static CURRENT: TraceContext;
}

/// The header that carries the trace context, lower-cased as HTTP/2 and gRPC want it.
pub const TRACEPARENT: &str = "traceparent";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TraceContext {
    trace_id: [u8; 16],
    parent_id: [u8; 8],
    sampled: bool,
}

impl TraceContext {
    /// Starts a new trace.
    pub fn new_root() -> Self {
        Self {
            trace_id: random_nonzero(),
            parent_id: random_nonzero(),
            sampled: true,
        }
    }

    /// Parses a `traceparent` header of version 00; anything malformed is `None`, and the
    /// caller starts a new trace as the specification asks.
    pub fn parse(header: &str) -> Option<Self> {
        let mut parts = header.trim().split('-');
        let version = parts.next()?;
        let trace_id = parts.next()?;
        let parent_id = parts.next()?;
        let flags = parts.next()?;
        if version != "00" || parts.next().is_some() {
            return None;
        }
        let trace_id: [u8; 16] = decode_hex(trace_id)?;
        let parent_id: [u8; 8] = decode_hex(parent_id)?;
        let flags: [u8; 1] = decode_hex(flags)?;
        if trace_id == [0; 16] || parent_id == [0; 8] {
            return None;
        }
        Some(Self {
            trace_id,
            parent_id,
            sampled: flags[0] & 1 == 1,
        })
    }

    /// The context to send on an outbound call made inside this one: same trace, new span.
    pub fn child(&self) -> Self {
        Self {
            parent_id: random_nonzero(),
            ..*self
        }
    }

    pub fn trace_id(&self) -> String {
        encode_hex(&self.trace_id)
    }

    pub fn to_header(&self) -> String {
        format!(
            "00-{}-{}-{:02x}",
            encode_hex(&self.trace_id),
            encode_hex(&self.parent_id),
            u8::from(self.sampled)
        )
    }

    /// Runs `future` with this context as the current one.
    pub async fn scope<F: Future>(self, future: F) -> F::Output {
        CURRENT.scope(self, future).await
    }

    /// The context of the request being served by this task, if any.
    pub fn current() -> Option<Self> {
        CURRENT.try_with(|ctx| *ctx).ok()
    }

    /// The `traceparent` value an outbound call should carry: a child of the current context,
    /// or a new root when the call is not made on behalf of a request (a background worker).
    pub fn outbound_header() -> String {
        Self::current()
            .map_or_else(Self::new_root, |ctx| ctx.child())
            .to_header()
    }
}

fn random_nonzero<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    loop {
        // The OS random source failing is unrecoverable for ids; fall back to a time-based
        // value rather than panic, since a trace id only has to be unlikely to collide.
        if getrandom::fill(&mut bytes).is_err() {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(1);
            for (i, b) in bytes.iter_mut().enumerate() {
                *b = (nanos >> ((i % 16) * 8)) as u8;
            }
        }
        if bytes.iter().any(|b| *b != 0) {
            return bytes;
        }
    }
}

fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    if text.len() != N * 2
        || !text
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(&text[i * 2..i * 2 + 2], 16).ok()?;
    }
    Some(out)
}

fn encode_hex(bytes: &[u8]) -> String {
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

    #[test]
    fn a_valid_header_round_trips() {
        let ctx = TraceContext::parse(EXAMPLE).expect("valid");
        assert_eq!(ctx.to_header(), EXAMPLE);
        assert_eq!(ctx.trace_id(), "4bf92f3577b34da6a3ce929d0e0e4736");
    }

    #[test]
    fn malformed_headers_are_rejected() {
        for bad in [
            "",
            "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
            "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
            "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e47-00f067aa0ba902b7-01",
            "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        ] {
            assert!(TraceContext::parse(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn a_child_keeps_the_trace_and_changes_the_span() {
        let ctx = TraceContext::parse(EXAMPLE).expect("valid");
        let child = ctx.child();
        assert_eq!(child.trace_id(), ctx.trace_id());
        assert_ne!(child.to_header(), ctx.to_header());
    }

    #[tokio::test]
    async fn outbound_calls_inside_a_scope_continue_its_trace() {
        let ctx = TraceContext::parse(EXAMPLE).expect("valid");
        let header = ctx.scope(async { TraceContext::outbound_header() }).await;
        assert!(header.starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        let outside = TraceContext::outbound_header();
        assert!(!outside.contains("4bf92f3577b34da6a3ce929d0e0e4736"));
    }
}
