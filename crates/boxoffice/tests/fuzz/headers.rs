//! `traceparent` and bearer tokens as a hostile client writes them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::rng::Rng;

pub fn traceparent(rng: &mut Rng) -> String {
    let hex = |rng: &mut Rng, n: usize| -> String {
        (0..n)
            .map(|_| char::from(b"0123456789abcdef"[rng.below(16)]))
            .collect()
    };
    match rng.below(8) {
        0 => format!("00-{}-{}-01", hex(rng, 32), hex(rng, 16)),
        1 => format!("00-{}-{}-01", "0".repeat(32), "0".repeat(16)),
        2 => format!("ff-{}-{}-01", hex(rng, 32), hex(rng, 16)),
        3 => format!("00-{}-{}-zz", hex(rng, 31), hex(rng, 17)),
        4 => format!(
            "00-{}-{}-01-{}",
            hex(rng, 32),
            hex(rng, 16),
            "x".repeat(500)
        ),
        5 => "00--".into(),
        6 => "x".repeat(rng.below(8_000) + 1),
        _ => rng
            .junk_string()
            .chars()
            .filter(|c| !c.is_control())
            .collect(),
    }
}

/// `Bearer …` values: no token, a malformed one, one that claims `alg: none`, a real one with a
/// changed payload or signature, and very large ones.
pub fn authorization(rng: &mut Rng, real_token: &str) -> String {
    let segment = |text: &str| URL_SAFE_NO_PAD.encode(text);
    let claims =
        r#"{"sub":"00000000-0000-0000-0000-000000000000","role":"admin","exp":4102444800}"#;
    let token = match rng.below(9) {
        0 => String::new(),
        1 => "not.a.jwt".into(),
        2 => format!(
            "{}.{}.",
            segment(r#"{"alg":"none","typ":"JWT"}"#),
            segment(claims)
        ),
        3 => format!(
            "{}.{}.{}",
            segment(r#"{"alg":"HS256","typ":"JWT"}"#),
            segment(claims),
            segment("signature")
        ),
        4 => {
            let mut parts: Vec<String> = real_token.split('.').map(str::to_owned).collect();
            if parts.len() == 3 {
                parts[1] = segment(claims);
            }
            parts.join(".")
        }
        5 => {
            let mut token = real_token.to_owned();
            token.pop();
            token.push(if real_token.ends_with('A') { 'B' } else { 'A' });
            token
        }
        6 => format!("{}.{}.{}", "a".repeat(4_000), "b".repeat(4_000), "c"),
        7 => format!(
            "{}.{}",
            segment(r#"{"alg":"EdDSA","kid":"../../../etc/passwd"}"#),
            segment("{")
        ),
        _ => rng
            .junk_string()
            .chars()
            .filter(|c| c.is_ascii_graphic())
            .collect(),
    };
    let scheme = *rng.pick(&["Bearer", "bearer", "Basic", "Bearer  ", ""]);
    format!("{scheme} {token}")
}
