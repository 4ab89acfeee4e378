//! deploy/kong/kong.yml against the gateway's own route table
//! (`boxoffice_gateway::routes::public_paths`): every public path routed, nothing else.

use serde_json::Value;

use crate::{repo, yaml_file};

/// What the gateway serves on its port but only to probes and Prometheus.
const INTERNAL: [&str; 3] = ["/healthz", "/readyz", "/metrics"];

/// One Kong route path: a prefix, or `~<literal>$` for an exact match. Any other regular
/// expression is refused, so the comparison below stays exact.
enum KongPath {
    Prefix(String),
    Exact(String),
}

impl KongPath {
    fn parse(path: &str) -> Self {
        let Some(regex) = path.strip_prefix('~') else {
            return Self::Prefix(path.to_owned());
        };
        let body = regex
            .strip_suffix('$')
            .unwrap_or_else(|| panic!("{path}: a regex path must end with $"));
        let literal = body.replace("\\.", ".");
        let unescaped_dot = body.replace("\\.", "").contains('.');
        assert!(
            !unescaped_dot && !literal.contains(['\\', '[', '(', '*', '+', '?', '|', '^', '{']),
            "{path}: only literal exact paths are supported here"
        );
        Self::Exact(literal)
    }

    fn matches(&self, path: &str) -> bool {
        match self {
            Self::Prefix(prefix) => path.starts_with(prefix.as_str()),
            Self::Exact(exact) => path == exact,
        }
    }
}

/// A request path the axum pattern matches: `{*rest}` becomes two segments, `{id}` one.
fn example(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|segment| {
            if segment.starts_with("{*") {
                "some/thing"
            } else if segment.starts_with('{') {
                "0190a0b0-0000-7000-8000-000000000000"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn routes(config: &Value) -> Vec<(&Value, &Value)> {
    config["services"]
        .as_array()
        .expect("services")
        .iter()
        .flat_map(|service| {
            service["routes"]
                .as_array()
                .expect("routes")
                .iter()
                .map(move |route| (service, route))
        })
        .collect()
}

#[test]
fn kong_routes_every_public_gateway_path_and_nothing_internal() {
    let config = yaml_file(&repo().join("deploy/kong/kong.yml"));
    assert_eq!(config["_format_version"], "3.0");
    let mut paths = Vec::new();
    for (service, route) in routes(&config) {
        let name = &route["name"];
        assert_eq!(
            service["url"], "http://gateway:8000",
            "route {name} reaches past the gateway"
        );
        assert_eq!(
            route["strip_path"], false,
            "route {name} would rewrite paths"
        );
        for path in route["paths"].as_array().expect("paths") {
            paths.push(KongPath::parse(path.as_str().expect("path")));
        }
    }

    let public: Vec<String> = boxoffice_gateway::routes::public_paths()
        .map(example)
        .collect();
    assert!(public.len() > 10, "{public:?}");
    for path in &public {
        assert!(
            paths.iter().any(|kong| kong.matches(path)),
            "Kong does not route the gateway's public path {path}"
        );
    }
    for path in INTERNAL {
        assert!(
            !paths.iter().any(|kong| kong.matches(path)),
            "Kong routes the internal path {path}"
        );
    }
    // Every Kong path leads to something public (no route kept for a path since removed).
    for kong in &paths {
        assert!(
            public.iter().any(|path| kong.matches(path)),
            "a Kong route matches none of the gateway's public paths"
        );
    }
}

#[test]
fn kong_limits_request_rates_and_sizes() {
    let config = yaml_file(&repo().join("deploy/kong/kong.yml"));
    let global: Vec<&Value> = config["plugins"]
        .as_array()
        .expect("global plugins")
        .iter()
        .map(|plugin| &plugin["name"])
        .collect();
    assert!(
        global.contains(&&Value::from("rate-limiting")),
        "{global:?}"
    );
    assert!(
        global.contains(&&Value::from("request-size-limiting")),
        "{global:?}"
    );
    // Sign-in and registration get the stricter limit, as in the gateway.
    let auth = routes(&config)
        .into_iter()
        .find(|(_, route)| route["name"] == "auth")
        .expect("an auth route")
        .1;
    assert_eq!(auth["plugins"][0]["name"], "rate-limiting");
}
