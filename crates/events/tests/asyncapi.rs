//! `docs/api/asyncapi.yaml` documents exactly the events the code publishes: one channel (its
//! address the routing key) and one message per event type in `ALL_EVENT_TYPES`, nothing
//! missing and nothing extra, on the exchange the RabbitMQ adapter declares.
//!
//! The document is read line by line rather than parsed (no YAML parser in the build): the
//! keys it checks are kept at fixed indentation, which this test enforces too.

use std::collections::BTreeSet;
use std::path::PathBuf;

use boxoffice_events::payloads::ALL_EVENT_TYPES;
use boxoffice_events::rabbit::EXCHANGE;

fn document() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../docs/api/asyncapi.yaml");
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

fn indentation(line: &str) -> usize {
    line.len() - line.trim_start().len()
}

/// The lines under `header` (a whole line, e.g. `  messages:`) up to the next line indented
/// as little as the header.
fn block<'a>(document: &'a str, header: &str) -> Vec<&'a str> {
    let mut lines = document.lines().skip_while(|line| *line != header);
    assert!(lines.next().is_some(), "no {header:?} in the document");
    let depth = indentation(header);
    lines
        .filter(|line| !line.trim().is_empty() && !line.trim_start().starts_with('#'))
        .take_while(|line| indentation(line) > depth)
        .collect()
}

/// The values of `key` on lines indented by exactly `indent` spaces.
fn values(lines: &[&str], indent: usize, key: &str) -> Vec<String> {
    let prefix = format!("{}{key}: ", " ".repeat(indent));
    lines
        .iter()
        .filter_map(|line| line.strip_prefix(&prefix))
        .map(|value| value.trim().trim_matches('\'').to_owned())
        .collect()
}

fn event_types() -> BTreeSet<String> {
    ALL_EVENT_TYPES.iter().map(|t| (*t).to_owned()).collect()
}

fn as_set(values: &[String], what: &str) -> BTreeSet<String> {
    let set: BTreeSet<String> = values.iter().cloned().collect();
    assert_eq!(
        set.len(),
        values.len(),
        "a {what} is listed twice: {values:?}"
    );
    set
}

#[test]
fn every_event_type_has_exactly_one_channel_and_nothing_else_does() {
    let doc = document();
    assert!(
        doc.lines().any(|l| l == "asyncapi: 3.0.0"),
        "not an AsyncAPI 3.0 document"
    );
    let addresses = values(&block(&doc, "channels:"), 4, "address");
    assert_eq!(as_set(&addresses, "channel address"), event_types());
}

#[test]
fn every_event_type_has_exactly_one_message_and_nothing_else_does() {
    let doc = document();
    let names = values(&block(&doc, "  messages:"), 6, "name");
    assert_eq!(as_set(&names, "message name"), event_types());
}

#[test]
fn the_channels_are_routing_keys_on_the_exchange_the_adapter_declares() {
    let doc = document();
    let bindings = block(&doc, "  channelBindings:");
    assert_eq!(values(&bindings, 8, "name"), [EXCHANGE]);
    assert_eq!(values(&bindings, 8, "type"), ["topic"]);
    assert_eq!(values(&bindings, 6, "is"), ["routingKey"]);
    // Every channel uses that one binding.
    let channels = block(&doc, "channels:");
    let refs = values(&channels, 8, "$ref");
    assert_eq!(refs.len(), ALL_EVENT_TYPES.len() * 2, "{refs:?}");
    let topic = refs
        .iter()
        .filter(|r| *r == "#/components/channelBindings/topic")
        .count();
    assert_eq!(topic, ALL_EVENT_TYPES.len());
}
