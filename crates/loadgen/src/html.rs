//! A self-contained HTML report: throughput over time and a latency histogram per operation,
//! drawn as inline SVG so the file opens anywhere, offline.

use std::fmt::Write;

use crate::Report;

pub fn render(report: &Report) -> String {
    let mut html = String::from(
        "<!doctype html><html><head><meta charset=\"utf-8\"><title>boxoffice bench</title>\
         <style>body{font:14px system-ui,sans-serif;margin:2em;color:#222}h2{margin-top:2em}\
         table{border-collapse:collapse}td,th{padding:.2em .8em;border-bottom:1px solid #ddd;text-align:right}\
         th:first-child,td:first-child{text-align:left}svg{background:#fafafa;border:1px solid #eee}</style></head><body>",
    );
    let _ = write!(
        html,
        "<h1>boxoffice bench: {:?}</h1><pre>{}</pre>",
        report.scenario,
        escape(&report.summary())
    );
    html.push_str("<h2>Confirmed bookings per second</h2>");
    html.push_str(&bars(
        &report
            .timeline
            .iter()
            .map(|v| (String::new(), *v))
            .collect::<Vec<_>>(),
        "#2b7bb9",
    ));
    for (op, latency) in &report.latency_ms {
        let _ = write!(html, "<h2>{} latency (ms)</h2>", escape(op));
        let buckets: Vec<(String, u64)> = latency
            .buckets
            .iter()
            .map(|(ms, n)| (format!("≤{ms}"), *n))
            .collect();
        html.push_str(&bars(&buckets, "#d9822b"));
    }
    let _ = write!(
        html,
        "<h2>Audit</h2><pre>{}</pre></body></html>",
        escape(&report.audit.to_string())
    );
    html
}

fn bars(values: &[(String, u64)], colour: &str) -> String {
    let width = 800.0;
    let height = 200.0;
    let max = values.iter().map(|v| v.1).max().unwrap_or(1).max(1) as f64;
    let bar = width / values.len().max(1) as f64;
    let mut svg = format!(
        "<svg width=\"{width}\" height=\"{}\" xmlns=\"http://www.w3.org/2000/svg\">",
        height + 20.0
    );
    for (i, (label, value)) in values.iter().enumerate() {
        let h = *value as f64 / max * height;
        let x = i as f64 * bar;
        let _ = write!(
            svg,
            "<rect x=\"{x:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{h:.1}\" fill=\"{colour}\"><title>{} {value}</title></rect>",
            height - h,
            (bar - 1.0).max(1.0),
            escape(label)
        );
        if !label.is_empty() && values.len() <= 20 {
            let _ = write!(
                svg,
                "<text x=\"{:.1}\" y=\"{}\" font-size=\"10\">{}</text>",
                x + 2.0,
                height + 14.0,
                escape(label)
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
