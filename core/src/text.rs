//! Validated text values: email, tax region, customer name, phone, idempotency
//! key, and the opaque password hash.
//!
//! Every type trims surrounding whitespace, bounds its length in characters
//! (matching the column it is stored in) and refuses control characters, so
//! nothing overlong or unprintable reaches storage or a notification text.

use std::fmt;
use std::str::FromStr;

use crate::error::ValueError;

/// Control characters, the bidirectional embedding, override and isolate
/// controls (U+202A–U+202E, U+2066–U+2069) that can make a name display as
/// something else in a notification, and U+FFFD, which stands in for bytes
/// that were not valid UTF-8.
fn has_control_chars(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_control()
            || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FFFD}')
    })
}

/// Trims `raw` and checks it is 1..=`max` characters without control characters.
fn bounded(raw: &str, max: usize) -> Result<&str, &'static str> {
    let text = raw.trim();
    if text.is_empty() {
        Err("must not be empty")
    } else if text.chars().count() > max {
        Err("is too long")
    } else if has_control_chars(text) {
        Err("must not contain control characters")
    } else {
        Ok(text)
    }
}

macro_rules! text_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            /// The validated text.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl FromStr for $name {
            type Err = ValueError;
            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Self::parse(text)
            }
        }

        impl TryFrom<String> for $name {
            type Error = ValueError;
            fn try_from(text: String) -> Result<Self, Self::Error> {
                Self::parse(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// An email address, lower-cased so uniqueness does not depend on case.
    ///
    /// ```
    /// use shopcore::Email;
    /// assert_eq!(Email::parse(" Ahmed@Example.com ").unwrap().as_str(), "ahmed@example.com");
    /// assert!(Email::parse("no-at-sign").is_err());
    /// assert!(Email::parse("a@b").is_err());
    /// ```
    Email
);

impl Email {
    /// The longest address accepted (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;

    /// Fails with `invalid_email` unless `text` looks like `local@domain.tld`.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let reject = |reason| ValueError::Email { reason };
        let text = bounded(text, Self::MAX_LEN).map_err(reject)?;
        let (local, domain) = text.split_once('@').ok_or(reject("must contain '@'"))?;
        if local.is_empty() || domain.contains('@') {
            return Err(reject("must have one '@' after a non-empty local part"));
        }
        if text.chars().any(char::is_whitespace) {
            return Err(reject("must not contain spaces"));
        }
        let labels_ok = domain.split('.').count() >= 2 && domain.split('.').all(|l| !l.is_empty());
        if !labels_ok {
            return Err(reject("domain must look like example.com"));
        }
        Ok(Email(text.to_lowercase()))
    }
}

text_type!(
    /// A tax region name such as `Cairo`, at most 50 characters.
    ///
    /// Regions compare exactly; adapters look them up case-insensitively.
    ///
    /// ```
    /// use shopcore::Region;
    /// assert_eq!(Region::parse(" Giza ").unwrap().as_str(), "Giza");
    /// assert!(Region::parse("").is_err());
    /// ```
    Region
);

impl Region {
    /// The longest region name (a `VARCHAR(50)` column).
    pub const MAX_LEN: usize = 50;

    /// Fails with `invalid_region` for empty, overlong or unprintable names.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        bounded(text, Self::MAX_LEN)
            .map(|t| Region(t.to_owned()))
            .map_err(|reason| ValueError::Region { reason })
    }

    /// The case-folded name, used as a lookup key.
    pub fn key(&self) -> String {
        self.0.to_lowercase()
    }
}

text_type!(
    /// A product's display name (`inventory.product_name`), at most 100 characters.
    ///
    /// ```
    /// assert!(shopcore::ProductName::parse("USB-C Dock").is_ok());
    /// assert!(shopcore::ProductName::parse("").is_err());
    /// assert!(shopcore::ProductName::parse("Dock\u{7}").is_err()); // a control character
    /// assert_eq!(shopcore::ProductName::parse(&"x".repeat(101)).unwrap_err().code(), "invalid_name");
    /// # use shopcore::ErrorCode;
    /// ```
    ProductName
);

impl ProductName {
    /// The longest name (a `VARCHAR(100)` column).
    pub const MAX_LEN: usize = 100;

    /// Fails with `invalid_name` for empty, overlong or unprintable names.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        bounded(text, Self::MAX_LEN)
            .map(|t| ProductName(t.to_owned()))
            .map_err(|reason| ValueError::Name { reason })
    }
}

text_type!(
    /// A customer's display name, at most 100 characters.
    ///
    /// ```
    /// assert!(shopcore::CustomerName::parse("Sara Mohamed").is_ok());
    /// assert!(shopcore::CustomerName::parse("أحمد حسن").is_ok());
    /// assert!(shopcore::CustomerName::parse("   ").is_err());
    /// assert!(shopcore::CustomerName::parse("Eve \u{202E}nimda").is_err()); // right-to-left override
    /// ```
    CustomerName
);

impl CustomerName {
    /// The longest name (a `VARCHAR(100)` column).
    pub const MAX_LEN: usize = 100;

    /// Fails with `invalid_name` for empty, overlong or unprintable names.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        bounded(text, Self::MAX_LEN)
            .map(|t| CustomerName(t.to_owned()))
            .map_err(|reason| ValueError::Name { reason })
    }
}

text_type!(
    /// What a staff key is for (`"support desk"`, `"stock sync"`), at most 100 characters.
    ///
    /// ```
    /// assert!(shopcore::StaffKeyName::parse("night shift").is_ok());
    /// assert!(shopcore::StaffKeyName::parse("").is_err());
    /// ```
    StaffKeyName
);

impl StaffKeyName {
    /// The longest name (a `VARCHAR(100)` column).
    pub const MAX_LEN: usize = 100;

    /// Fails with `invalid_name` for empty, overlong or unprintable names.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        bounded(text, Self::MAX_LEN)
            .map(|t| StaffKeyName(t.to_owned()))
            .map_err(|reason| ValueError::Name { reason })
    }
}

text_type!(
    /// A phone number: digits, spaces and `+ - ( )`, at most 20 characters.
    ///
    /// ```
    /// assert!(shopcore::Phone::parse("+20 100 123 4567").is_ok());
    /// assert!(shopcore::Phone::parse("call me").is_err());
    /// ```
    Phone
);

impl Phone {
    /// The longest phone number (a `VARCHAR(20)` column).
    pub const MAX_LEN: usize = 20;

    /// Fails with `invalid_phone` for other characters or overlong numbers.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let text = bounded(text, Self::MAX_LEN).map_err(|reason| ValueError::Phone { reason })?;
        let allowed = |c: char| c.is_ascii_digit() || " +-()".contains(c);
        if !text.chars().all(allowed) || !text.chars().any(|c| c.is_ascii_digit()) {
            return Err(ValueError::Phone {
                reason: "may contain only digits, spaces and + - ( )",
            });
        }
        Ok(Phone(text.to_owned()))
    }
}

text_type!(
    /// A client-chosen key that makes a checkout safe to retry: 1–255 printable ASCII characters.
    ///
    /// ```
    /// assert!(shopcore::IdempotencyKey::parse("order-2026-11-25-0001").is_ok());
    /// assert!(shopcore::IdempotencyKey::parse("naïve").is_err());
    /// ```
    IdempotencyKey
);

impl IdempotencyKey {
    /// The longest key (a `VARCHAR(255)` column).
    pub const MAX_LEN: usize = 255;

    /// Fails with `invalid_idempotency_key` for empty, overlong or non-ASCII keys.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let reject = |reason| ValueError::IdempotencyKey { reason };
        let text = bounded(text, Self::MAX_LEN).map_err(reject)?;
        if !text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            return Err(reject("must be printable ASCII"));
        }
        Ok(IdempotencyKey(text.to_owned()))
    }
}

/// A password hash produced outside the core (for example Argon2id in the
/// bindings). Opaque here: stored and returned for verification, never printed.
///
/// ```
/// let hash = shopcore::PasswordHash::new("$argon2id$v=19$...".to_owned());
/// assert_eq!(format!("{hash:?}"), "PasswordHash(<redacted>)");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct PasswordHash(String);

impl PasswordHash {
    /// Wraps an already computed hash string.
    pub fn new(hash: String) -> Self {
        PasswordHash(hash)
    }

    /// The hash string, for verification.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordHash(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlong_and_control_characters_are_rejected() {
        let long = "x".repeat(Region::MAX_LEN + 1);
        assert!(Region::parse(&long).is_err());
        assert!(Region::parse(&"x".repeat(Region::MAX_LEN)).is_ok());
        assert!(CustomerName::parse("Omar\u{0}Ali").is_err());
        assert!(
            Region::parse("\u{FFFD}").is_err(),
            "a stand-in for bytes that were not UTF-8"
        );
        assert!(CustomerName::parse("Robert'); DROP TABLE customers;--").is_ok());
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn emails_need_one_at_and_a_dotted_domain() {
        for bad in [
            "@example.com",
            "a@@example.com",
            "a@example.",
            "a @example.com",
            "a@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(
            Email::parse("Sara@Example.COM").unwrap().as_str(),
            "sara@example.com"
        );
    }

    #[test]
    fn region_keys_ignore_case() {
        assert_eq!(
            Region::parse("CAIRO").unwrap().key(),
            Region::parse("cairo").unwrap().key()
        );
    }
}
