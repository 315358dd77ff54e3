//! Validated text values: email, tax region, customer name, phone, idempotency
//! key, and the opaque password hash.
//!
//! Every type trims surrounding whitespace, bounds its length in characters
//! (matching the column it is stored in) and refuses control characters, so
//! nothing overlong or unprintable reaches storage or a notification text.

use std::fmt;
use std::str::FromStr;

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

use crate::error::ValueError;

/// Control characters, the bidirectional embedding, override and isolate
/// controls (U+202A–U+202E, U+2066–U+2069) and marks (U+200E, U+200F, U+061C)
/// that can make a name display as something else in a notification, the
/// invisible zero-width characters and word joiners (U+200B–U+200D,
/// U+2060–U+2064, U+FEFF), the line and paragraph separators (U+2028,
/// U+2029, which break a notice's lines), invisible fillers and format
/// characters (U+00AD, U+034F, U+180E, U+3164, U+FFA0, the tags
/// U+E0000–U+E007F), and U+FFFD, which stands in for bytes that were not
/// valid UTF-8.
fn has_control_chars(text: &str) -> bool {
    text.chars().any(|c| {
        c.is_control()
            || matches!(
                c,
                '\u{00AD}'
                    | '\u{034F}'
                    | '\u{061C}'
                    | '\u{180E}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{2028}'..='\u{202E}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{3164}'
                    | '\u{FEFF}'
                    | '\u{FFA0}'
                    | '\u{FFFD}'
                    | '\u{E0000}'..='\u{E007F}'
            )
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
    /// An email address a message can be delivered to, in the one normal form
    /// every store compares byte for byte.
    ///
    /// **Normal form.** Surrounding whitespace is trimmed, the text is
    /// lower-cased (Unicode) and put in Unicode NFC, so `Ahmed@Example.com`
    /// and `ahmed@example.com` are one address, and so are `alicé@…` typed with
    /// a precomposed `é` (NFC) or with `e` + a combining accent (NFD).
    /// Nothing else is folded: the full-width `ａlice@…` (NFC keeps
    /// compatibility characters) and `alicé@…` are addresses of their own,
    /// distinct from `alice@…` on every store.
    ///
    /// **What is refused** (`invalid_email`), because mail to it cannot be
    /// delivered or would go to another address than the one shown:
    /// - anything but one `@` between a non-empty local part (at most 64
    ///   characters) and a domain;
    /// - a local part other than a dot-atom: letters, digits and
    ///   ``! # $ % & ' * + - / = ? ^ _ ` { | } ~``, with single dots between
    ///   them — so no quoted local parts (`"a@b"@x.com`), no `< > ( ) [ ] , ; :
    ///   \` and no spaces;
    /// - a domain other than a host name: two or more dot-separated labels of
    ///   letters, digits and inner hyphens (at most 63 characters each), the
    ///   last not all digits — so no address literals (`x@[127.0.0.1]`), no IP
    ///   addresses and no ports (`x@example.com:25`);
    /// - control characters, and invisible or formatting characters
    ///   (zero-width spaces and joiners, the byte-order mark, soft hyphens,
    ///   bidirectional controls, variation selectors: Unicode's
    ///   Default_Ignorable_Code_Point). They are refused rather than stripped,
    ///   so what a customer typed is never silently turned into another
    ///   address. Letters, digits and marks of any script are accepted
    ///   (internationalised addresses); other non-ASCII characters
    ///   (punctuation such as the full-width `＠`, symbols) are not.
    ///
    /// ```
    /// use shopcore::Email;
    /// assert_eq!(Email::parse(" Ahmed@Example.com ").unwrap().as_str(), "ahmed@example.com");
    /// assert_eq!(Email::parse("ALICE\u{301}@example.com").unwrap().as_str(), "alic\u{e9}@example.com");
    /// assert!(Email::parse("no-at-sign").is_err());
    /// assert!(Email::parse("a@b").is_err());
    /// assert!(Email::parse("x@[127.0.0.1]").is_err());
    /// assert!(Email::parse("alice\u{200B}@example.com").is_err()); // a zero-width space
    /// ```
    Email
);

impl Email {
    /// The longest address accepted (RFC 5321's path limit).
    pub const MAX_LEN: usize = 254;
    /// The longest local part accepted (RFC 5321).
    pub const MAX_LOCAL_LEN: usize = 64;
    /// The longest domain label accepted (RFC 1035).
    pub const MAX_LABEL_LEN: usize = 63;

    /// The address in its normal form, or `invalid_email` with the reason
    /// (see the type's documentation for both).
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let reject = |reason| ValueError::Email { reason };
        let trimmed = bounded(text, Self::MAX_LEN).map_err(reject)?;
        if trimmed.chars().any(is_default_ignorable) {
            return Err(reject(
                "must not contain invisible or formatting characters (such as a zero-width space)",
            ));
        }
        if trimmed.chars().any(char::is_whitespace) {
            return Err(reject("must not contain spaces"));
        }
        let normal: String = trimmed.to_lowercase().nfc().collect();
        if normal.chars().count() > Self::MAX_LEN {
            return Err(reject("is too long"));
        }
        let (local, domain) = normal.split_once('@').ok_or(reject("must contain '@'"))?;
        if local.is_empty() || domain.contains('@') {
            return Err(reject("must have one '@' after a non-empty local part"));
        }
        if local.chars().count() > Self::MAX_LOCAL_LEN {
            return Err(reject("the part before '@' must be at most 64 characters"));
        }
        let local_ok = local.split('.').all(|atom| {
            !atom.is_empty()
                && atom
                    .chars()
                    .all(|c| is_letter_or_digit(c) || is_atom_symbol(c))
        });
        if !local_ok {
            return Err(reject(
                "the part before '@' may hold only letters, digits and ! # $ % & ' * + - / = ? ^ _ ` { | } ~ \
                 with single dots between them (no quotes, brackets, commas or angle brackets)",
            ));
        }
        let labels: Vec<&str> = domain.split('.').collect();
        let label_ok = |label: &&str| {
            !label.is_empty()
                && label.chars().count() <= Self::MAX_LABEL_LEN
                && !label.starts_with('-')
                && !label.ends_with('-')
                && label.chars().all(|c| is_letter_or_digit(c) || c == '-')
        };
        let top_level_named = labels
            .last()
            .is_some_and(|top| !top.chars().all(|c| c.is_ascii_digit()));
        if labels.len() < 2 || !labels.iter().all(label_ok) || !top_level_named {
            return Err(reject(
                "the domain must be a host name like example.com (no IP address, brackets or port)",
            ));
        }
        Ok(Email(normal))
    }
}

/// The ASCII symbols RFC 5322 allows in an unquoted local part (`atext`).
fn is_atom_symbol(c: char) -> bool {
    "!#$%&'*+-/=?^_`{|}~".contains(c)
}

/// An ASCII letter or digit, or a letter, digit or combining mark of any
/// other script (never punctuation, symbols, spaces or invisible characters).
fn is_letter_or_digit(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        (c.is_alphanumeric() || is_combining_mark(c)) && !is_default_ignorable(c)
    }
}

/// Unicode's Default_Ignorable_Code_Point (DerivedCoreProperties.txt): the
/// characters a display may render as nothing — zero-width spaces and
/// joiners, the byte-order mark, soft hyphens, bidirectional controls,
/// Hangul fillers, variation selectors, tags.
fn is_default_ignorable(c: char) -> bool {
    matches!(
        c,
        '\u{AD}'
            | '\u{34F}'
            | '\u{61C}'
            | '\u{115F}'..='\u{1160}'
            | '\u{17B4}'..='\u{17B5}'
            | '\u{180B}'..='\u{180F}'
            | '\u{200B}'..='\u{200F}'
            | '\u{202A}'..='\u{202E}'
            | '\u{2060}'..='\u{206F}'
            | '\u{3164}'
            | '\u{FE00}'..='\u{FE0F}'
            | '\u{FEFF}'
            | '\u{FFA0}'
            | '\u{FFF0}'..='\u{FFF8}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0000}'..='\u{E0FFF}'
    )
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
    /// assert!(shopcore::CustomerName::parse("Eve\u{200F}").is_err()); // a right-to-left mark
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

text_type!(
    /// How a payment was made (`"card"`, `"cash_on_delivery"`, a PSP's name):
    /// 1–40 characters without control characters.
    ///
    /// ```
    /// assert!(shopcore::PaymentMethod::parse("card").is_ok());
    /// assert!(shopcore::PaymentMethod::parse(" ").is_err());
    /// ```
    PaymentMethod
);

impl PaymentMethod {
    /// The longest method (a `VARCHAR(40)` column).
    pub const MAX_LEN: usize = 40;

    /// Fails with `invalid_request` for empty, overlong or unprintable methods.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        bounded(text, Self::MAX_LEN)
            .map(|t| PaymentMethod(t.to_owned()))
            .map_err(|reason| ValueError::Field {
                field: "method",
                reason,
            })
    }
}

text_type!(
    /// The payment provider's id of a payment (`"pi_3Nx…"`), the idempotency
    /// key of a payment within its order: 1–255 printable ASCII characters.
    ///
    /// ```
    /// assert!(shopcore::PaymentReference::parse("pi_3NxQ2L").is_ok());
    /// assert!(shopcore::PaymentReference::parse("réf").is_err());
    /// ```
    PaymentReference
);

impl PaymentReference {
    /// The longest reference (a `VARCHAR(255)` column).
    pub const MAX_LEN: usize = 255;

    /// Fails with `invalid_request` for empty, overlong or non-ASCII references.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let reject = |reason| ValueError::Field {
            field: "reference",
            reason,
        };
        let text = bounded(text, Self::MAX_LEN).map_err(reject)?;
        if !text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            return Err(reject("must be printable ASCII"));
        }
        Ok(PaymentReference(text.to_owned()))
    }
}

text_type!(
    /// Who carries a shipment (`"DHL"`, `"Aramex"`): 1–100 characters without
    /// control characters.
    ///
    /// ```
    /// assert!(shopcore::Carrier::parse("Aramex").is_ok());
    /// ```
    Carrier
);

impl Carrier {
    /// The longest carrier name (a `VARCHAR(100)` column).
    pub const MAX_LEN: usize = 100;

    /// Fails with `invalid_request` for empty, overlong or unprintable names.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        bounded(text, Self::MAX_LEN)
            .map(|t| Carrier(t.to_owned()))
            .map_err(|reason| ValueError::Field {
                field: "carrier",
                reason,
            })
    }
}

text_type!(
    /// A carrier's tracking number: 1–100 printable ASCII characters.
    ///
    /// ```
    /// assert!(shopcore::TrackingNumber::parse("JD014600006281230704").is_ok());
    /// assert!(shopcore::TrackingNumber::parse("").is_err());
    /// ```
    TrackingNumber
);

impl TrackingNumber {
    /// The longest tracking number (a `VARCHAR(100)` column).
    pub const MAX_LEN: usize = 100;

    /// Fails with `invalid_request` for empty, overlong or non-ASCII numbers.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let reject = |reason| ValueError::Field {
            field: "tracking_number",
            reason,
        };
        let text = bounded(text, Self::MAX_LEN).map_err(reject)?;
        if !text.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
            return Err(reject("must be printable ASCII"));
        }
        Ok(TrackingNumber(text.to_owned()))
    }
}

text_type!(
    /// Why a return or a refund is made (`"damaged in transit"`): 1–500
    /// characters without control characters. It goes into the customer's
    /// notice as written.
    ///
    /// ```
    /// assert!(shopcore::ReasonText::parse("wrong size").is_ok());
    /// assert!(shopcore::ReasonText::parse("  ").is_err());
    /// ```
    ReasonText
);

impl ReasonText {
    /// The longest reason (a `VARCHAR(500)` column).
    pub const MAX_LEN: usize = 500;

    /// Fails with `invalid_request` for empty, overlong or unprintable reasons.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        bounded(text, Self::MAX_LEN)
            .map(|t| ReasonText(t.to_owned()))
            .map_err(|reason| ValueError::Field {
                field: "reason",
                reason,
            })
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
    fn separators_fillers_and_tags_that_hide_or_break_a_notice_are_rejected() {
        // A reason goes into the customer's notice as written.
        for hidden in [
            "ok\u{2028}Refund due: 9999.00",
            "ok\u{2029}x",
            "soft\u{00AD}hyphen",
            "grapheme\u{034F}joiner",
            "mongolian\u{180E}vowel",
            "\u{3164}",
            "half\u{FFA0}width",
            "tag\u{E0041}",
        ] {
            assert!(ReasonText::parse(hidden).is_err(), "{hidden:?}");
        }
        assert!(ReasonText::parse("arrived broken — é, ß, 日本").is_ok());
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
    fn unusable_addresses_are_refused_with_invalid_email() {
        use crate::error::{ErrorCode, ErrorKind};
        for bad in [
            "a>b@x.com",
            "a,b@x.com",
            "<a@x.com>",
            "Alice <a@x.com>",
            "x@[127.0.0.1]",
            "x@127.0.0.1",
            "x@example.com:25",
            "\"a@b\"@x.com",
            "\"a\"@x.com",
            "a\u{7}b@x.com",
            "a\tb@x.com",
            "a b@x.com",
            "a@x .com",
            "alice@example.com\u{200B}",
            "\u{FEFF}alice@example.com",
            "al\u{200D}ice@example.com",
            "al\u{AD}ice@example.com",
            "alice@exam\u{200B}ple.com",
            "a\u{FE0F}@x.com",
            "alice\u{FF20}example.com",
            ".alice@x.com",
            "alice.@x.com",
            "al..ice@x.com",
            "a@-x.com",
            "a@x-.com",
            "a@x_y.com",
            "a(comment)@x.com",
            "a\\b@x.com",
            "a;b@x.com",
        ] {
            let error = Email::parse(bad).expect_err(bad);
            assert_eq!(error.kind(), ErrorKind::InvalidEmail, "{bad}");
        }
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(65))).is_err());
        assert!(Email::parse(&format!("{}@x.com", "a".repeat(64))).is_ok());
        assert!(Email::parse(&format!("a@{}.com", "x".repeat(64))).is_err());
    }

    #[test]
    fn deliverable_addresses_of_every_script_are_accepted() {
        for good in [
            "ahmed@example.com",
            "first.last+tag@mail.example.co.uk",
            "o'brien@example.ie",
            "a!#$%&'*+-/=?^_`{|}~z@x.com",
            "user@xn--bcher-kva.example",
            "user@sub-domain.example.com",
            "أحمد@مثال.مصر",
            "ユーザー@例え.jp",
            "δοκιμή@παράδειγμα.δοκιμή",
            "पन्ना@उदाहरण.भारत",
            "\u{FF41}lice@example.com",
        ] {
            assert!(Email::parse(good).is_ok(), "{good}");
        }
    }

    #[test]
    fn emails_have_one_normal_form_lower_case_nfc() {
        let nfc = Email::parse("alic\u{E9}@example.com").unwrap();
        let nfd = Email::parse("alice\u{301}@example.com").unwrap();
        assert_eq!(nfc, nfd);
        assert_eq!(nfc.as_str().as_bytes(), "alic\u{E9}@example.com".as_bytes());
        assert_eq!(Email::parse("ALIC\u{C9}@EXAMPLE.COM").unwrap(), nfc);
        let plain = Email::parse("alice@example.com").unwrap();
        assert_ne!(nfc, plain, "an accent makes another address");
        let full_width = Email::parse("\u{FF41}lice@example.com").unwrap();
        assert_ne!(full_width, plain, "NFC keeps the full-width letter");
        assert_eq!(
            Email::parse("\u{FF21}LICE@example.com").unwrap(),
            full_width,
            "lower-cased like any letter"
        );
        // Parsing the normal form again gives it back (stores read rows through `parse`).
        for typed in [
            "ALICE\u{301}@Example.com",
            "\u{130}stanbul@example.com",
            "\u{1E9E}tra\u{DF}e@example.de",
            "\u{3A3}\u{39F}\u{3A3}@example.gr",
            "\u{212B}ngstr\u{F6}m@example.se",
        ] {
            let once = Email::parse(typed).unwrap();
            assert_eq!(Email::parse(once.as_str()).unwrap(), once, "{typed}");
        }
    }

    proptest::proptest! {
        /// The normal form is a fixed point: a stored address parses back to
        /// itself, whatever was typed (any case, composed or decomposed).
        #[test]
        fn parsing_the_normal_form_gives_it_back(
            local in "[a-zA-Z0-9\u{C0}-\u{17F}\u{370}-\u{3FF}\u{300}-\u{36F}\u{FF21}-\u{FF5A}.+_-]{1,20}",
            domain in "[a-zA-Z\u{C0}-\u{17F}\u{301}]{1,10}\\.[a-zA-Z]{2,6}",
        ) {
            if let Ok(once) = Email::parse(&format!("{local}@{domain}")) {
                let again = Email::parse(once.as_str()).unwrap();
                proptest::prop_assert_eq!(&again, &once);
                proptest::prop_assert_eq!(once.as_str().to_lowercase(), once.as_str());
            }
        }
    }

    #[test]
    fn region_keys_ignore_case() {
        assert_eq!(
            Region::parse("CAIRO").unwrap().key(),
            Region::parse("cairo").unwrap().key()
        );
    }
}
