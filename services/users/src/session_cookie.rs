//! The browser session's refresh-token cookie and the checks that make its endpoints safe
//! against cross-site request forgery (ADR 0601).

use std::time::Duration;

use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};

pub const NAME: &str = "bo_refresh";
/// Only the session endpoints ever receive the cookie.
pub const PATH: &str = "/api/v1/auth/session";
/// A custom header a foreign page cannot send without a CORS preflight the gateway refuses.
pub const CLIENT_HEADER: &str = "x-boxoffice-client";
pub const CLIENT_VALUE: &str = "web";

/// Why a request to a session endpoint is refused before it is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CsrfRefusal {
    #[error("the request must carry X-Boxoffice-Client: web")]
    MissingClientHeader,
    #[error("the request came from another site")]
    CrossSite,
}

/// The request must name the web client, and a browser that says where it came from must say
/// this origin (`same-origin`) or nowhere (`none`: typed or bookmarked).
pub fn check_same_origin(headers: &HeaderMap) -> Result<(), CsrfRefusal> {
    let client = headers.get(CLIENT_HEADER).and_then(|v| v.to_str().ok());
    if client.map(str::trim) != Some(CLIENT_VALUE) {
        return Err(CsrfRefusal::MissingClientHeader);
    }
    match headers.get("sec-fetch-site").map(|v| v.to_str()) {
        None | Some(Ok("same-origin" | "none")) => Ok(()),
        Some(_) => Err(CsrfRefusal::CrossSite),
    }
}

/// The refresh token the browser sent, if any.
pub fn read(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == NAME)
        .map(|(_, value)| value.trim().to_owned())
        .filter(|value| !value.is_empty())
}

/// `Secure` whenever the browser reached us over TLS, as the gateway tells from the real
/// connection (it overwrites whatever the client claimed).
pub fn over_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|p| p.eq_ignore_ascii_case("https"))
}

pub fn set(headers: &mut HeaderMap, token: &str, lifetime: Duration, secure: bool) {
    insert(headers, token, lifetime.as_secs(), secure);
}

pub fn clear(headers: &mut HeaderMap, secure: bool) {
    insert(headers, "", 0, secure);
}

fn insert(headers: &mut HeaderMap, value: &str, max_age: u64, secure: bool) {
    let secure = if secure { "; Secure" } else { "" };
    let cookie = format!(
        "{NAME}={value}; Path={PATH}; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}"
    );
    // The token is URL-safe base64 (refresh_token::mint), always a valid header value.
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        headers.append(SET_COOKIE, value);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.append(*name, HeaderValue::from_str(value).expect("value"));
        }
        map
    }

    #[test]
    fn the_cookie_is_found_among_others_and_in_any_cookie_header() {
        let h = headers(&[("cookie", "theme=dark; bo_refresh=abc-123_x; lang=de")]);
        assert_eq!(read(&h).as_deref(), Some("abc-123_x"));
        let h = headers(&[("cookie", "theme=dark"), ("cookie", "bo_refresh=second")]);
        assert_eq!(read(&h).as_deref(), Some("second"));
        assert_eq!(read(&headers(&[("cookie", "xbo_refresh=no")])), None);
        assert_eq!(read(&headers(&[("cookie", "bo_refresh=")])), None);
        assert_eq!(read(&HeaderMap::new()), None);
    }

    #[test]
    fn the_cookie_is_http_only_strict_and_scoped_to_the_session_endpoints() {
        let mut h = HeaderMap::new();
        set(&mut h, "tok", Duration::from_secs(3600), false);
        assert_eq!(
            h[SET_COOKIE],
            "bo_refresh=tok; Path=/api/v1/auth/session; HttpOnly; SameSite=Strict; Max-Age=3600"
        );
        let mut h = HeaderMap::new();
        clear(&mut h, true);
        assert_eq!(
            h[SET_COOKIE],
            "bo_refresh=; Path=/api/v1/auth/session; HttpOnly; SameSite=Strict; Max-Age=0; Secure"
        );
    }

    #[test]
    fn only_same_origin_requests_of_the_web_client_pass() {
        let ok = headers(&[
            ("x-boxoffice-client", "web"),
            ("sec-fetch-site", "same-origin"),
        ]);
        assert_eq!(check_same_origin(&ok), Ok(()));
        assert_eq!(
            check_same_origin(&headers(&[("x-boxoffice-client", "web")])),
            Ok(())
        );
        assert_eq!(
            check_same_origin(&headers(&[("sec-fetch-site", "same-origin")])),
            Err(CsrfRefusal::MissingClientHeader)
        );
        for site in ["cross-site", "same-site"] {
            let h = headers(&[("x-boxoffice-client", "web"), ("sec-fetch-site", site)]);
            assert_eq!(check_same_origin(&h), Err(CsrfRefusal::CrossSite), "{site}");
        }
    }

    #[test]
    fn secure_follows_the_forwarded_protocol() {
        assert!(over_tls(&headers(&[("x-forwarded-proto", "https")])));
        assert!(!over_tls(&headers(&[("x-forwarded-proto", "http")])));
        assert!(!over_tls(&HeaderMap::new()));
    }
}
