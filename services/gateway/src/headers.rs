//! Header hygiene between the client and the upstreams.

use std::net::IpAddr;

use axum::http::header::{self, HeaderMap, HeaderName, HeaderValue};
use boxoffice_auth::Caller;

use crate::ratelimit::Decision;

/// The identity the gateway vouches for to upstreams once the JWT verified. Upstreams still
/// verify the token themselves; these headers are for logging and cheap routing decisions.
pub const USER_ID: &str = "x-user-id";
pub const USER_ROLE: &str = "x-user-role";
/// The client's address as the gateway determined it; set on every forwarded request.
pub const CLIENT_IP: &str = "x-client-ip";

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1): never forwarded.
const HOP_BY_HOP: [HeaderName; 8] = [
    header::CONNECTION,
    HeaderName::from_static("keep-alive"),
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
    header::TE,
    header::TRAILER,
    header::TRANSFER_ENCODING,
    header::UPGRADE,
];

/// Removes hop-by-hop headers, including those the `Connection` header names.
pub fn strip_hop_by_hop(headers: &mut HeaderMap) {
    let named: Vec<HeaderName> = headers
        .get_all(header::CONNECTION)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|name| HeaderName::from_bytes(name.trim().as_bytes()).ok())
        .collect();
    for name in named.iter().chain(HOP_BY_HOP.iter()) {
        headers.remove(name);
    }
}

/// Whether a header claims an identity, which only the gateway may assert. Covers the names
/// the gateway sets and the usual spellings other proxies use, so a client cannot smuggle one
/// to a future upstream that trusts it.
fn is_identity_header(name: &HeaderName) -> bool {
    let name = name.as_str();
    name.starts_with("x-user-")
        || name.starts_with("x-auth-")
        || name.starts_with("x-authenticated-")
        || matches!(name, "x-forwarded-user" | "x-remote-user" | "remote-user")
}

pub fn strip_identity(headers: &mut HeaderMap) {
    let claimed: Vec<HeaderName> = headers
        .keys()
        .filter(|name| is_identity_header(name))
        .cloned()
        .collect();
    for name in claimed {
        headers.remove(&name);
    }
}

pub fn set_identity(headers: &mut HeaderMap, caller: &Caller) {
    if let Ok(id) = HeaderValue::from_str(&caller.user_id.to_string()) {
        headers.insert(USER_ID, id);
    }
    headers.insert(USER_ROLE, HeaderValue::from_static(caller.role.as_str()));
}

/// Which `x-forwarded-*` headers to believe: none, unless the gateway sits behind proxies
/// that overwrite or extend them.
#[derive(Debug, Clone, Default)]
pub struct ForwardedTrust {
    /// The peer that connects to the gateway is a proxy (`trust_forwarded_headers`).
    pub enabled: bool,
    /// Further proxies in front of it (`trusted_proxies`), whose entries in the chain are
    /// hops, not clients.
    pub proxies: Vec<ipnet::IpNet>,
}

impl ForwardedTrust {
    fn is_proxy(&self, ip: IpAddr) -> bool {
        self.proxies.iter().any(|net| net.contains(&ip))
    }

    /// The client in an `x-forwarded-for` chain: the rightmost entry that is not one of our
    /// proxies. Everything left of it was written by the client itself and proves nothing —
    /// taking the leftmost entry let any client pick the address it is rate-limited as.
    fn client_in(&self, chain: &str, peer: IpAddr) -> IpAddr {
        let mut nearest = peer;
        for entry in chain.rsplit(',') {
            let Ok(ip) = entry.trim().parse::<IpAddr>() else {
                // Garbage a client wrote: the hop that wrote it is as far as we can trust.
                return nearest;
            };
            if !self.is_proxy(ip) {
                return ip;
            }
            nearest = ip;
        }
        nearest
    }
}

/// Where the request came from, as far as the gateway can tell.
#[derive(Debug, Clone)]
pub struct Origin {
    pub client_ip: IpAddr,
    pub proto: String,
    /// The `x-forwarded-for` chain to send on, ending with the peer that connected to us.
    forwarded_for: String,
}

impl Origin {
    pub fn new(headers: &HeaderMap, peer: IpAddr, trust: &ForwardedTrust) -> Self {
        let trust_forwarded = trust.enabled;
        let claimed_chain = headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
            .filter(|v| !v.is_empty() && trust_forwarded);
        let client_ip = claimed_chain.map_or(peer, |chain| trust.client_in(chain, peer));
        let forwarded_for = match claimed_chain {
            Some(chain) => format!("{chain}, {peer}"),
            None => peer.to_string(),
        };
        let proto = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .filter(|p| trust_forwarded && matches!(*p, "http" | "https"))
            .unwrap_or("http")
            .to_owned();
        Self {
            client_ip,
            proto,
            forwarded_for,
        }
    }

    /// Sets `x-forwarded-for`, `-proto` and `-host`, replacing whatever the client sent.
    pub fn apply(&self, headers: &mut HeaderMap, original_host: Option<HeaderValue>) {
        if let Ok(value) = HeaderValue::from_str(&self.forwarded_for) {
            headers.insert("x-forwarded-for", value);
        }
        if let Ok(value) = HeaderValue::from_str(&self.proto) {
            headers.insert("x-forwarded-proto", value);
        }
        // The client as the gateway determined it (trusted proxies resolved), for upstreams
        // that limit per client (booking's WebSocket limits, ADR 0503); always replaced.
        if let Ok(value) = HeaderValue::from_str(&self.client_ip.to_string()) {
            headers.insert(CLIENT_IP, value);
        }
        match original_host {
            Some(host) => headers.insert("x-forwarded-host", host),
            None => headers.remove("x-forwarded-host"),
        };
    }
}

/// `RateLimit-Limit`, `-Remaining`, `-Reset` (draft-ietf-httpapi-ratelimit-headers, the
/// widely deployed form) and, when refused, `Retry-After`; all in whole seconds, rounded up so
/// that a client that waits that long is let through.
pub fn set_rate_limit(headers: &mut HeaderMap, decision: &Decision) {
    let seconds = |d: std::time::Duration| d.as_micros().div_ceil(1_000_000);
    headers.insert("ratelimit-limit", HeaderValue::from(decision.limit));
    headers.insert("ratelimit-remaining", HeaderValue::from(decision.remaining));
    let reset = u64::try_from(seconds(decision.reset_after)).unwrap_or(u64::MAX);
    headers.insert("ratelimit-reset", HeaderValue::from(reset));
    if !decision.allowed {
        let retry = u64::try_from(seconds(decision.retry_after))
            .unwrap_or(u64::MAX)
            .max(1);
        headers.insert(header::RETRY_AFTER, HeaderValue::from(retry));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_named_by_connection_are_hop_by_hop_too() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::CONNECTION,
            HeaderValue::from_static("close, x-secret"),
        );
        headers.insert("x-secret", HeaderValue::from_static("1"));
        headers.insert("keep-alive", HeaderValue::from_static("timeout=5"));
        headers.insert("x-kept", HeaderValue::from_static("1"));
        strip_hop_by_hop(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("x-kept"));
    }

    #[test]
    fn identity_headers_of_any_spelling_are_removed() {
        let mut headers = HeaderMap::new();
        for name in [
            "x-user-id",
            "X-User-Role",
            "x-auth-user",
            "x-remote-user",
            "accept",
        ] {
            headers.insert(
                HeaderName::from_bytes(name.as_bytes()).expect("name"),
                HeaderValue::from_static("admin"),
            );
        }
        strip_identity(&mut headers);
        assert_eq!(headers.len(), 1);
        assert!(headers.contains_key("accept"));
    }

    fn trusting(proxies: &[&str]) -> ForwardedTrust {
        ForwardedTrust {
            enabled: true,
            proxies: proxies.iter().map(|p| p.parse().expect("net")).collect(),
        }
    }

    #[test]
    fn a_client_cannot_choose_its_ip_unless_forwarded_headers_are_trusted() {
        let mut headers = HeaderMap::new();
        headers.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4"));
        let peer: IpAddr = [10, 0, 0, 7].into();
        let off = ForwardedTrust::default();
        assert_eq!(Origin::new(&headers, peer, &off).client_ip, peer);
        let trusted = Origin::new(&headers, peer, &trusting(&[]));
        assert_eq!(trusted.client_ip, IpAddr::from([1, 2, 3, 4]));
        assert_eq!(trusted.forwarded_for, "1.2.3.4, 10.0.0.7");
    }

    #[test]
    fn upstreams_are_told_the_client_the_gateway_found_never_the_one_a_client_claims() {
        let mut incoming = HeaderMap::new();
        incoming.insert("x-forwarded-for", HeaderValue::from_static("1.2.3.4"));
        let peer: IpAddr = [10, 0, 0, 7].into();
        let mut outgoing = HeaderMap::new();
        outgoing.insert(CLIENT_IP, HeaderValue::from_static("6.6.6.6"));
        Origin::new(&incoming, peer, &ForwardedTrust::default()).apply(&mut outgoing, None);
        assert_eq!(outgoing[CLIENT_IP], "10.0.0.7");
        Origin::new(&incoming, peer, &trusting(&[])).apply(&mut outgoing, None);
        assert_eq!(outgoing[CLIENT_IP], "1.2.3.4");
    }

    #[test]
    fn the_client_is_the_rightmost_address_that_is_not_our_proxy() {
        let peer: IpAddr = [10, 0, 0, 7].into();
        let ip = |chain: &'static str, proxies: &[&str]| {
            let mut headers = HeaderMap::new();
            headers.insert("x-forwarded-for", HeaderValue::from_static(chain));
            Origin::new(&headers, peer, &trusting(proxies)).client_ip
        };
        // The load balancer appended the real client; what the client claimed is left of it.
        assert_eq!(
            ip("6.6.6.6, 203.0.113.9", &[]),
            IpAddr::from([203, 0, 113, 9])
        );
        // Two hops: a CDN (in 198.51.100.0/24) in front of the load balancer.
        assert_eq!(
            ip("6.6.6.6, 203.0.113.9, 198.51.100.20", &["198.51.100.0/24"]),
            IpAddr::from([203, 0, 113, 9])
        );
        // Garbage next to our hops: the nearest hop we trust is the client.
        assert_eq!(
            ip("not-an-ip, 198.51.100.20", &["198.51.100.0/24"]),
            IpAddr::from([198, 51, 100, 20])
        );
        assert_eq!(
            ip("2001:db8::1", &[]),
            "2001:db8::1".parse::<IpAddr>().expect("ip")
        );
    }
}
