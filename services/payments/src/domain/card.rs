//! Card validation. The full number and the CVC exist only in memory, inside types whose
//! `Debug` hides them; what is kept, logged or returned is a [`Card`]: brand and last four.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::ValidationError;

/// Card data as a client sends it. Deliberately not `Display`, and `Debug` shows nothing of the
/// number or the CVC, so that no `{:?}` of a request can leak them into a log.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct CardInput {
    pub number: String,
    pub exp_month: u32,
    pub exp_year: i32,
    pub cvc: String,
}

impl fmt::Debug for CardInput {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CardInput")
            .field("number", &"[redacted]")
            .field("exp_month", &self.exp_month)
            .field("exp_year", &self.exp_year)
            .field("cvc", &"[redacted]")
            .finish()
    }
}

/// Card networks recognised from the number's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Brand {
    Visa,
    Mastercard,
    Amex,
    Discover,
    Jcb,
    Diners,
    Unionpay,
}

impl Brand {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Visa => "visa",
            Self::Mastercard => "mastercard",
            Self::Amex => "amex",
            Self::Discover => "discover",
            Self::Jcb => "jcb",
            Self::Diners => "diners",
            Self::Unionpay => "unionpay",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        [
            Self::Visa,
            Self::Mastercard,
            Self::Amex,
            Self::Discover,
            Self::Jcb,
            Self::Diners,
            Self::Unionpay,
        ]
        .into_iter()
        .find(|b| b.as_str() == text)
    }

    /// The brand of a digits-only number, by its issuer identification prefix.
    fn detect(digits: &str) -> Option<Self> {
        let prefix = |n: usize| digits.get(..n).and_then(|p| p.parse::<u32>().ok());
        let in_range =
            |n: usize, lo: u32, hi: u32| prefix(n).is_some_and(|p| (lo..=hi).contains(&p));
        if digits.starts_with('4') {
            Some(Self::Visa)
        } else if in_range(2, 51, 55) || in_range(4, 2221, 2720) {
            Some(Self::Mastercard)
        } else if in_range(2, 34, 34) || in_range(2, 37, 37) {
            Some(Self::Amex)
        } else if digits.starts_with("6011") || in_range(2, 65, 65) || in_range(3, 644, 649) {
            Some(Self::Discover)
        } else if in_range(4, 3528, 3589) {
            Some(Self::Jcb)
        } else if in_range(3, 300, 305) || in_range(2, 36, 36) || in_range(2, 38, 39) {
            Some(Self::Diners)
        } else if digits.starts_with("62") {
            Some(Self::Unionpay)
        } else {
            None
        }
    }
}

/// What is kept of a card: its brand and last four digits, nothing else.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Card {
    pub brand: Brand,
    pub last4: String,
}

/// A card that passed validation, ready for the processor. The number and CVC are private and
/// reachable only through [`ValidatedCard::number`] / [`ValidatedCard::cvc`], which exist for
/// the processor adapter alone.
#[derive(Clone)]
pub struct ValidatedCard {
    card: Card,
    number: String,
    cvc: String,
    pub exp_month: u32,
    pub exp_year: i32,
}

impl fmt::Debug for ValidatedCard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ValidatedCard")
            .field("brand", &self.card.brand)
            .field("last4", &self.card.last4)
            .finish_non_exhaustive()
    }
}

impl ValidatedCard {
    /// Validates `input` as of the month `(year, month)`: Luhn, a known brand, 12–19 digits,
    /// expiry not in the past (a card is valid through the end of its expiry month), CVC of
    /// 3–4 digits. Spaces and dashes in the number are ignored, as on a printed card.
    pub fn validate(input: &CardInput, today: (i32, u32)) -> Result<Self, ValidationError> {
        let digits: String = input
            .number
            .chars()
            .filter(|c| *c != ' ' && *c != '-')
            .collect();
        if !(12..=19).contains(&digits.len()) || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::CardNumberFormat);
        }
        if !luhn_valid(&digits) {
            return Err(ValidationError::CardNumberLuhn);
        }
        let brand = Brand::detect(&digits).ok_or(ValidationError::CardBrandUnsupported)?;
        if !(1..=12).contains(&input.exp_month) || !(2000..=2100).contains(&input.exp_year) {
            return Err(ValidationError::CardExpiryInvalid);
        }
        if (input.exp_year, input.exp_month) < today {
            return Err(ValidationError::CardExpired);
        }
        let cvc = input.cvc.trim();
        if !(3..=4).contains(&cvc.len()) || !cvc.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValidationError::CvcFormat);
        }
        let last4 = digits[digits.len() - 4..].to_owned();
        Ok(Self {
            card: Card { brand, last4 },
            number: digits,
            cvc: cvc.to_owned(),
            exp_month: input.exp_month,
            exp_year: input.exp_year,
        })
    }

    pub fn card(&self) -> &Card {
        &self.card
    }

    /// The full number, digits only. For the card processor; never store or log it.
    pub fn number(&self) -> &str {
        &self.number
    }

    /// The CVC. For the card processor; never store or log it.
    pub fn cvc(&self) -> &str {
        &self.cvc
    }
}

/// The Luhn (mod 10) check digit test.
pub fn luhn_valid(digits: &str) -> bool {
    let mut sum = 0u32;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return false;
        }
        let mut d = u32::from(b - b'0');
        if i % 2 == 1 {
            d *= 2;
            if d > 9 {
                d -= 9;
            }
        }
        sum += d;
    }
    !digits.is_empty() && sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TODAY: (i32, u32) = (2026, 11);

    fn input(number: &str, month: u32, year: i32, cvc: &str) -> CardInput {
        CardInput {
            number: number.into(),
            exp_month: month,
            exp_year: year,
            cvc: cvc.into(),
        }
    }

    #[test]
    fn test_cards_pass_luhn_and_a_single_digit_change_fails_it() {
        for n in [
            "4242424242424242",
            "4000000000000002",
            "4000000000009995",
            "4000000000000119",
            "5555555555554444",
            "378282246310005",
        ] {
            assert!(luhn_valid(n), "{n}");
        }
        assert!(!luhn_valid("4242424242424241"));
        assert!(!luhn_valid(""));
    }

    #[test]
    fn a_valid_card_keeps_only_brand_and_last4_visible() {
        let card = ValidatedCard::validate(&input("4242 4242 4242 4242", 12, 2030, "314"), TODAY)
            .expect("valid");
        assert_eq!(card.card().brand, Brand::Visa);
        assert_eq!(card.card().last4, "4242");
        let debug = format!("{card:?} {:?}", input("4242424242424242", 1, 2030, "314"));
        assert!(!debug.contains("4242424242424242"), "{debug}");
        assert!(!debug.contains("314"), "{debug}");
    }

    #[test]
    fn brands_are_detected_from_the_prefix() {
        let brand = |n: &str| {
            ValidatedCard::validate(&input(n, 1, 2030, "1234"), TODAY).map(|c| c.card().brand)
        };
        assert_eq!(brand("5555555555554444"), Ok(Brand::Mastercard));
        assert_eq!(brand("2223003122003222"), Ok(Brand::Mastercard));
        assert_eq!(brand("378282246310005"), Ok(Brand::Amex));
        assert_eq!(brand("6011111111111117"), Ok(Brand::Discover));
        assert_eq!(brand("3566002020360505"), Ok(Brand::Jcb));
        assert_eq!(brand("30569309025904"), Ok(Brand::Diners));
        assert_eq!(brand("6200000000000005"), Ok(Brand::Unionpay));
        assert_eq!(
            brand("9999999999999995"),
            Err(ValidationError::CardBrandUnsupported)
        );
    }

    #[test]
    fn bad_cards_are_rejected_with_the_reason() {
        let check = |i: CardInput| ValidatedCard::validate(&i, TODAY).map(|_| ());
        assert_eq!(
            check(input("4242424242424241", 1, 2030, "314")),
            Err(ValidationError::CardNumberLuhn)
        );
        assert_eq!(
            check(input("4242abcd42424242", 1, 2030, "314")),
            Err(ValidationError::CardNumberFormat)
        );
        assert_eq!(
            check(input("42", 1, 2030, "314")),
            Err(ValidationError::CardNumberFormat)
        );
        assert_eq!(
            check(input("4242424242424242", 10, 2026, "314")),
            Err(ValidationError::CardExpired)
        );
        assert_eq!(
            check(input("4242424242424242", 13, 2030, "314")),
            Err(ValidationError::CardExpiryInvalid)
        );
        assert_eq!(
            check(input("4242424242424242", 1, 2030, "31")),
            Err(ValidationError::CvcFormat)
        );
        assert_eq!(
            check(input("4242424242424242", 1, 2030, "31415")),
            Err(ValidationError::CvcFormat)
        );
        assert_eq!(
            check(input("4242424242424242", 1, 2030, "3a4")),
            Err(ValidationError::CvcFormat)
        );
    }

    #[test]
    fn a_card_expiring_this_month_is_still_valid() {
        assert!(
            ValidatedCard::validate(&input("4242424242424242", 11, 2026, "314"), TODAY).is_ok()
        );
    }
}
