//! Every GraphQL document the web shop and the back office send (read from their JavaScript)
//! is under the default cost budget: anonymous pages under the anonymous budget, pages that
//! send the caller's token under the signed-in one. Tightening a budget, or a page asking for
//! more, fails here before it fails a customer.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use boxoffice_booking::Settings;
use boxoffice_booking::graphql::{budget, schema_for_sdl};

fn js_files(dir: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("read web/js") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            js_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "js") {
            found.push(path);
        }
    }
}

/// The string literal (backtick, single or double quote) starting at `text[0]`, and its length.
fn literal(text: &str) -> Option<(String, usize)> {
    let quote = text
        .chars()
        .next()
        .filter(|c| matches!(c, '`' | '\'' | '"'))?;
    let mut out = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        match c {
            '\\' => {
                if let Some((_, escaped)) = chars.next() {
                    out.push(escaped);
                }
            }
            c if c == quote => return Some((out, i + 1)),
            c => out.push(c),
        }
    }
    None
}

/// `const NAME = <literal>` with an upper-case name, anywhere in the file.
fn constants(source: &str, into: &mut HashMap<String, String>) {
    let mut rest = source;
    while let Some(at) = rest.find("const ") {
        rest = &rest[at + 6..];
        let name: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let after = rest[name.len()..].trim_start();
        let Some(value) = after.strip_prefix('=') else {
            continue;
        };
        if name.is_empty() || name.chars().any(|c| c.is_ascii_lowercase()) {
            continue;
        }
        if let Some((text, _)) = literal(value.trim_start()) {
            into.insert(name, text);
        }
    }
}

/// Replaces `${NAME}` with the constants' values until none is left.
fn expand(text: &str, constants: &HashMap<String, String>) -> String {
    let mut text = text.to_owned();
    for _ in 0..10 {
        let Some(start) = text.find("${") else { break };
        let end = start + text[start..].find('}').expect("closing brace");
        let name = &text[start + 2..end];
        let value = constants
            .get(name)
            .unwrap_or_else(|| panic!("unknown interpolation {name}"));
        text.replace_range(start..end + 1, value);
    }
    text
}

/// Every `gql(` and `subscribe(` call: its first argument and whether it sends the token.
fn calls(source: &str) -> Vec<(String, bool)> {
    let mut found = Vec::new();
    for call in ["gql(", "subscribe("] {
        let mut rest = source;
        while let Some(at) = rest.find(call) {
            let preceded = rest[..at].chars().last();
            rest = &rest[at + call.len()..];
            // A definition (`function gql(`, `export async function subscribe(`) or a method.
            if preceded.is_some_and(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.')
                || rest.starts_with("query")
            {
                continue;
            }
            let mut depth = 1;
            let end = rest
                .char_indices()
                .find_map(|(i, c)| {
                    match c {
                        '(' => depth += 1,
                        ')' => depth -= 1,
                        _ => {}
                    }
                    (depth == 0).then_some(i)
                })
                .expect("closing paren");
            let arguments = &rest[..end];
            let first = arguments.split(',').next().unwrap_or("").trim().to_owned();
            found.push((first, arguments.contains("auth: true")));
        }
    }
    found
}

#[test]
fn every_query_the_web_pages_send_is_under_the_default_budget() {
    let web = Path::new(env!("CARGO_MANIFEST_DIR")).join("../gateway/web/js");
    let mut files = Vec::new();
    js_files(&web, &mut files);
    let mut constant_values = HashMap::new();
    let sources: Vec<(PathBuf, String)> = files
        .into_iter()
        .map(|path| {
            let source = std::fs::read_to_string(&path).expect("read");
            (path, source)
        })
        .collect();
    for (_, source) in &sources {
        constants(source, &mut constant_values);
    }
    let settings = Settings::default();
    let budget = budget(&schema_for_sdl(), &settings.graphql_limits()).expect("budget");
    let (anonymous, signed_in) = budget.limits();
    let mut checked = 0;
    for (path, source) in &sources {
        // The file's own constants win over those of the same name elsewhere (every page has
        // a QUERY); the others stand in for imports (BOOKING_FIELDS).
        let mut constant_values = constant_values.clone();
        constants(source, &mut constant_values);
        for (argument, with_token) in calls(source) {
            // `gql(query, …)` inside api.js and `subscribe(query, …)` in live.js pass through.
            if argument == "query" {
                continue;
            }
            let document = match literal(&argument) {
                Some((text, _)) => text,
                None => constant_values
                    .get(&argument)
                    .unwrap_or_else(|| {
                        panic!("{}: {argument} is not a known query", path.display())
                    })
                    .clone(),
            };
            let document = expand(&document, &constant_values);
            let cost = budget
                .cost_of(&document)
                .unwrap_or_else(|e| panic!("{}: {argument}: {e}", path.display()));
            let limit = if with_token { signed_in } else { anonymous };
            println!("{:>8} of {limit:>7}  {} {argument}", cost, path.display());
            assert!(
                cost <= limit,
                "{} {argument} costs {cost}, over {limit}: {document}",
                path.display()
            );
            checked += 1;
        }
    }
    // The shop's home, movie, showtime (and resync, hold, live updates), booking (pay,
    // cancel), bookings; the back office's door, bookings, booking, showtime sales.
    assert!(
        checked >= 20,
        "only {checked} queries found: is the extraction broken?"
    );
}
