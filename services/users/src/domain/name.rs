/// A display name: what the tickets and emails call the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserName(String);

const MAX_CHARS: usize = 100;

impl UserName {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err("name is required".into());
        }
        if trimmed.chars().count() > MAX_CHARS {
            return Err(format!("name must be at most {MAX_CHARS} characters"));
        }
        if trimmed.chars().any(char::is_control) {
            return Err("name must not contain control characters".into());
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            UserName::parse("  Zoë Ångström ").expect("valid").as_str(),
            "Zoë Ångström"
        );
        assert!(UserName::parse(" ").is_err());
        assert!(UserName::parse(&"x".repeat(101)).is_err());
        assert!(UserName::parse("bad\u{0}name").is_err());
    }
}
