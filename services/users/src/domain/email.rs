use std::fmt;

/// An email address, normalized (trimmed, lower-cased) so that one mailbox is one account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Email(String);

const MAX_LEN: usize = 254;
const MAX_LOCAL_LEN: usize = 64;

impl Email {
    /// Accepts the addresses a mail server would deliver to and people actually type:
    /// `local@domain.tld`, no spaces or control characters, a domain of dot-separated labels.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let normalized = raw.trim().to_lowercase();
        if normalized.is_empty() {
            return Err("email is required".into());
        }
        if normalized.len() > MAX_LEN {
            return Err(format!("email must be at most {MAX_LEN} characters"));
        }
        let (local, domain) = normalized
            .rsplit_once('@')
            .ok_or_else(|| "email must contain @".to_owned())?;
        if local.is_empty() || local.len() > MAX_LOCAL_LEN || local.contains('@') {
            return Err("email has an invalid local part".into());
        }
        if local
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || "<>()[]\\,;:\"".contains(c))
        {
            return Err("email has an invalid local part".into());
        }
        if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
            return Err("email has an invalid local part".into());
        }
        if !is_valid_domain(domain) {
            return Err("email has an invalid domain".into());
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

fn is_valid_domain(domain: &str) -> bool {
    let labels: Vec<&str> = domain.split('.').collect();
    labels.len() >= 2
        && labels.iter().all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| c.is_alphanumeric() || c == '-')
        })
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lower_cased() {
        let email = Email::parse("  Ada.Lovelace@Example.COM ").expect("valid");
        assert_eq!(email.as_str(), "ada.lovelace@example.com");
    }

    #[test]
    fn plausible_addresses_are_accepted() {
        for ok in [
            "a@b.co",
            "first.last+tag@sub.example.org",
            "x_y-z@mail-server.example",
        ] {
            assert!(Email::parse(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "",
            "   ",
            "plainaddress",
            "@example.com",
            "user@",
            "user@localhost",
            "user@@example.com",
            "us er@example.com",
            "user@exa mple.com",
            "user@-example.com",
            "user@example..com",
            ".user@example.com",
            "user.@example.com",
            "a..b@example.com",
            "<user>@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        let long = format!("{}@example.com", "a".repeat(65));
        assert!(Email::parse(&long).is_err());
    }
}
