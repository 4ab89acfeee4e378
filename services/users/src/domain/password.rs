//! The password policy: long enough, not absurdly long, not a well-known password.
//!
//! Following NIST SP 800-63B: a minimum length and a blocklist instead of composition rules.

use std::collections::HashSet;
use std::fmt;
use std::sync::OnceLock;

pub const MIN_CHARS: usize = 10;
/// argon2 would hash anything, but an upper bound stops megabyte "passwords" from costing CPU.
pub const MAX_CHARS: usize = 128;

/// A candidate password that passed the policy. Never printed.
pub struct Password(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordRejection {
    #[error("password must be at least {MIN_CHARS} characters")]
    TooShort,
    #[error("password must be at most {MAX_CHARS} characters")]
    TooLong,
    #[error("password is too common")]
    TooCommon,
}

impl Password {
    pub fn parse(raw: &str, email_local_part: Option<&str>) -> Result<Self, PasswordRejection> {
        let chars = raw.chars().count();
        if chars < MIN_CHARS {
            return Err(PasswordRejection::TooShort);
        }
        if chars > MAX_CHARS {
            return Err(PasswordRejection::TooLong);
        }
        if is_common(raw)
            || is_trivial(raw)
            || email_local_part.is_some_and(|local| {
                raw.to_lowercase().contains(&local.to_lowercase()) && local.len() >= MIN_CHARS - 2
            })
        {
            return Err(PasswordRejection::TooCommon);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password([redacted])")
    }
}

fn common_passwords() -> &'static HashSet<String> {
    static LIST: OnceLock<HashSet<String>> = OnceLock::new();
    LIST.get_or_init(|| {
        include_str!("common-passwords.txt")
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_lowercase)
            .collect()
    })
}

fn is_common(raw: &str) -> bool {
    common_passwords().contains(&raw.to_lowercase())
}

/// One repeated character, or a run of consecutive characters (`abcdefghij`, `9876543210`).
fn is_trivial(raw: &str) -> bool {
    let bytes: Vec<char> = raw.to_lowercase().chars().collect();
    let all_same = bytes.windows(2).all(|w| w[0] == w[1]);
    let ascending = bytes.windows(2).all(|w| w[1] as u32 == w[0] as u32 + 1);
    let descending = bytes.windows(2).all(|w| w[0] as u32 == w[1] as u32 + 1);
    all_same || ascending || descending
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn length_is_enforced_in_characters() {
        assert_eq!(
            Password::parse("short", None).err(),
            Some(PasswordRejection::TooShort)
        );
        assert!(Password::parse("ünïcödé-pässwörd", None).is_ok());
        assert_eq!(
            Password::parse(&"x1".repeat(65), None).err(),
            Some(PasswordRejection::TooLong)
        );
        assert!(Password::parse(&"x1y2".repeat(32), None).is_ok());
    }

    #[test]
    fn common_and_trivial_passwords_are_refused() {
        for weak in [
            "password123",
            "PASSWORD123",
            "1234567890",
            "qwertyuiop",
            "aaaaaaaaaaaa",
            "abcdefghijk",
            "9876543210",
        ] {
            assert_eq!(
                Password::parse(weak, None).err(),
                Some(PasswordRejection::TooCommon),
                "{weak}"
            );
        }
    }

    #[test]
    fn a_password_containing_the_mailbox_name_is_refused() {
        assert!(Password::parse("adalovelace-2024", Some("adalovelace")).is_err());
        assert!(Password::parse("correct horse battery", Some("ada")).is_ok());
    }

    #[test]
    fn a_password_is_never_printed() {
        let password = Password::parse("correct horse battery", None).expect("valid");
        assert!(!format!("{password:?}").contains("horse"));
    }
}
