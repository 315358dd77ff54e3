//! Percentages: discounts and tax rates.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::ValueError;

/// A percentage from 0 to 100 with at most two decimals (a `DECIMAL(5,2)`);
/// `14.00` means 14 %.
///
/// ```
/// use shopcore::Percent;
/// let vat: Percent = "14".parse().unwrap();
/// assert_eq!(vat.to_string(), "14.00");
/// assert!("100.01".parse::<Percent>().is_err());
/// assert!("-5".parse::<Percent>().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct Percent(Decimal);

impl Percent {
    /// 0 %.
    pub const ZERO: Percent = Percent(Decimal::from_parts(0, 0, 0, false, 2));
    /// 100 %.
    pub const HUNDRED: Percent = Percent(Decimal::from_parts(10_000, 0, 0, false, 2));

    /// Fails with `invalid_percent` outside 0–100 or with more than two decimals.
    pub fn new(value: Decimal) -> Result<Self, ValueError> {
        let mut exact = value.normalize();
        if exact.is_sign_negative() && !exact.is_zero()
            || exact > Self::HUNDRED.0
            || exact.scale() > 2
        {
            return Err(ValueError::Percent {
                value: value.to_string(),
            });
        }
        exact.set_sign_positive(true);
        exact.rescale(2);
        Ok(Percent(exact))
    }

    /// The percentage as a decimal with scale 2 (14 % is `14.00`).
    pub const fn value(self) -> Decimal {
        self.0
    }

    /// Applies the percentage: `amount × self / 100`, unrounded.
    pub fn of(self, amount: Decimal) -> Decimal {
        amount * self.0 / Decimal::ONE_HUNDRED
    }
}

impl FromStr for Percent {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let trimmed = text.trim();
        let plain = !trimmed.is_empty()
            && trimmed.len() <= 20
            && trimmed
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-');
        match plain
            .then(|| Decimal::from_str_exact(trimmed).ok())
            .flatten()
        {
            Some(value) => Percent::new(value),
            None => Err(ValueError::Percent {
                value: text.chars().take(20).collect(),
            }),
        }
    }
}

impl TryFrom<String> for Percent {
    type Error = ValueError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        text.parse()
    }
}

impl From<Percent> for String {
    fn from(percent: Percent) -> String {
        percent.to_string()
    }
}

impl fmt::Display for Percent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A percentage from JSON: a decimal string such as `"14.00"` or a whole
/// number such as `14`, never a float.
///
/// ```
/// use shopcore::Percent;
/// assert_eq!(serde_json::from_str::<Percent>("19").unwrap().to_string(), "19.00");
/// assert_eq!(serde_json::from_str::<Percent>(r#""12.5""#).unwrap().to_string(), "12.50");
/// assert!(serde_json::from_str::<Percent>("12.5").unwrap_err().to_string().contains("not the float"));
/// ```
impl<'de> serde::Deserialize<'de> for Percent {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(crate::values::money::ExactDecimal::<Percent>::new(
            "a percentage",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rust_decimal_macros::dec;

    #[test]
    fn bounds_and_scale() {
        assert_eq!(Percent::new(dec!(0)).unwrap(), Percent::ZERO);
        assert_eq!(Percent::new(dec!(100)).unwrap(), Percent::HUNDRED);
        assert_eq!(Percent::new(dec!(-0)).unwrap().to_string(), "0.00");
        assert!(Percent::new(dec!(12.345)).is_err());
        assert!(Percent::new(dec!(100.001)).is_err());
    }

    #[test]
    fn of_is_exact() {
        let fifteen = Percent::new(dec!(15)).unwrap();
        assert_eq!(fifteen.of(dec!(299.90)), dec!(44.985));
    }
}
