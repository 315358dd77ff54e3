//! Coupons: a code that takes a percentage or an amount off the subtotal after
//! tier discounts, within limits the shop sets.
//!
//! The order of application is fixed (see [`quote_with`](crate::quote_with)):
//! tier discounts per line → the coupon on the subtotal → points → tax on what
//! remains. A coupon is checked here ([`Coupon::check`]) against the time, the
//! subtotal after tiers and how often it has been redeemed ([`CouponUsage`]:
//! orders that are not cancelled, so a cancel gives the use back). A coupon
//! never takes more than the subtotal: the order's amount is never below 0.00.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};

use crate::error::{ErrorCode, ErrorKind, StorageError, ValueError};
use crate::values::money::{Money, RoundingMode};
use crate::values::percent::Percent;

/// A coupon's code: 1–32 ASCII letters, digits, `-` or `_`, compared without
/// regard to case and kept in upper case.
///
/// ```
/// use shopcore::CouponCode;
/// assert_eq!(CouponCode::parse("save-10").unwrap().as_str(), "SAVE-10");
/// assert_eq!(CouponCode::parse("Save-10").unwrap(), CouponCode::parse("SAVE-10").unwrap());
/// assert!(CouponCode::parse("").is_err());
/// assert!(CouponCode::parse("10% OFF").is_err());
/// assert!(CouponCode::parse("ÉTÉ").is_err());
/// ```
#[derive(
    Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
)]
#[serde(try_from = "String", into = "String")]
pub struct CouponCode(String);

impl CouponCode {
    /// The longest code.
    pub const MAX_LEN: usize = 32;

    /// Checks and upper-cases a code.
    pub fn parse(text: &str) -> Result<Self, ValueError> {
        let reject = |reason| ValueError::CouponCode { reason };
        if text.is_empty() {
            return Err(reject("must not be empty"));
        }
        if text.len() > Self::MAX_LEN {
            return Err(reject("must be at most 32 characters"));
        }
        if !text
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        {
            return Err(reject("may hold only ASCII letters, digits, '-' and '_'"));
        }
        Ok(CouponCode(text.to_ascii_uppercase()))
    }

    /// The code, in upper case.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CouponCode {
    type Err = ValueError;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        CouponCode::parse(text)
    }
}

impl TryFrom<String> for CouponCode {
    type Error = ValueError;
    fn try_from(text: String) -> Result<Self, Self::Error> {
        CouponCode::parse(&text)
    }
}

impl From<CouponCode> for String {
    fn from(code: CouponCode) -> String {
        code.0
    }
}

impl fmt::Display for CouponCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a coupon takes off the subtotal after tier discounts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CouponValue {
    /// A percentage of the subtotal, more than 0 and at most 100.
    PercentOff(Percent),
    /// A fixed amount, more than 0.00; never more than the subtotal.
    AmountOff(Money),
}

impl CouponValue {
    /// Checks that the value takes something off: a percentage above 0, an amount above 0.00.
    pub fn new_percent(percent: Percent) -> Result<Self, CouponAdminError> {
        if percent == Percent::ZERO {
            return Err(CouponAdminError::Invalid(
                "percent_off must be more than 0".into(),
            ));
        }
        Ok(CouponValue::PercentOff(percent))
    }

    /// See [`CouponValue::new_percent`].
    pub fn new_amount(amount: Money) -> Result<Self, CouponAdminError> {
        if amount == Money::ZERO {
            return Err(CouponAdminError::Invalid(
                "amount_off must be more than 0.00".into(),
            ));
        }
        Ok(CouponValue::AmountOff(amount))
    }

    /// The discount on `subtotal`: `round(subtotal × percent / 100)`, or the
    /// amount but at most the subtotal.
    ///
    /// ```
    /// use shopcore::{CouponValue, Money, RoundingMode};
    /// let m = |s: &str| s.parse::<Money>().unwrap();
    /// let ten = CouponValue::PercentOff("10".parse().unwrap());
    /// assert_eq!(ten.discount_on(m("1254.90"), RoundingMode::HalfUp), m("125.49"));
    /// let fifty = CouponValue::AmountOff(m("50.00"));
    /// assert_eq!(fifty.discount_on(m("29.99"), RoundingMode::HalfUp), m("29.99"));
    /// ```
    pub fn discount_on(self, subtotal: Money, rounding: RoundingMode) -> Money {
        match self {
            CouponValue::PercentOff(percent) => {
                // ≤ subtotal since percent ≤ 100 and rounding subtotal × 1 is exact.
                Money::round(percent.of(subtotal.amount()), rounding).unwrap_or(subtotal)
            }
            CouponValue::AmountOff(amount) => amount.min(subtotal),
        }
    }
}

/// A coupon as the shop administers it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Coupon {
    /// Its code (unique, case-insensitive).
    pub code: CouponCode,
    /// What it takes off.
    pub value: CouponValue,
    /// The smallest subtotal after tier discounts it applies to (0.00: any).
    pub min_subtotal: Money,
    /// It applies from this instant on (inclusive), if set.
    pub valid_from: Option<DateTime<Utc>>,
    /// It applies until this instant (exclusive), if set.
    pub valid_until: Option<DateTime<Utc>>,
    /// How many orders may use it in all, if limited.
    pub max_redemptions: Option<u32>,
    /// How many orders of one customer may use it, if limited.
    pub max_per_customer: Option<u32>,
    /// Whether it may be used at all.
    pub active: bool,
}

/// How often a coupon is in use: its orders that are not cancelled.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CouponUsage {
    /// By every customer.
    pub total: u32,
    /// By the customer asking (0 when no customer is named).
    pub by_customer: u32,
}

/// Why a coupon does not apply to an order.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CouponError {
    /// See [`ErrorKind::CouponUnknown`].
    #[error("coupon {0} does not exist")]
    Unknown(CouponCode),
    /// See [`ErrorKind::CouponInactive`].
    #[error("coupon {0} is not active")]
    Inactive(CouponCode),
    /// See [`ErrorKind::CouponNotYetValid`].
    #[error("coupon {code} applies only from {from}")]
    NotYetValid {
        /// The coupon.
        code: CouponCode,
        /// When it starts to apply.
        from: DateTime<Utc>,
    },
    /// See [`ErrorKind::CouponExpired`].
    #[error("coupon {code} expired at {until}")]
    Expired {
        /// The coupon.
        code: CouponCode,
        /// When it stopped applying.
        until: DateTime<Utc>,
    },
    /// See [`ErrorKind::CouponExhausted`].
    #[error("coupon {code} has been redeemed {max} times, its limit")]
    Exhausted {
        /// The coupon.
        code: CouponCode,
        /// Its limit.
        max: u32,
    },
    /// See [`ErrorKind::CouponCustomerLimit`].
    #[error("coupon {code} may be used {max} times per customer, and this customer has")]
    CustomerLimit {
        /// The coupon.
        code: CouponCode,
        /// Its per-customer limit.
        max: u32,
    },
    /// See [`ErrorKind::CouponMinSubtotal`].
    #[error("coupon {code} needs a subtotal of at least {min}, this one is {subtotal}")]
    MinSubtotal {
        /// The coupon.
        code: CouponCode,
        /// Its minimum.
        min: Money,
        /// The order's subtotal after tier discounts.
        subtotal: Money,
    },
}

impl ErrorCode for CouponError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Unknown(_) => ErrorKind::CouponUnknown,
            Self::Inactive(_) => ErrorKind::CouponInactive,
            Self::NotYetValid { .. } => ErrorKind::CouponNotYetValid,
            Self::Expired { .. } => ErrorKind::CouponExpired,
            Self::Exhausted { .. } => ErrorKind::CouponExhausted,
            Self::CustomerLimit { .. } => ErrorKind::CouponCustomerLimit,
            Self::MinSubtotal { .. } => ErrorKind::CouponMinSubtotal,
        }
    }
}

impl Coupon {
    /// An active coupon without a minimum, a validity window or limits.
    ///
    /// ```
    /// use shopcore::{Coupon, CouponCode, CouponValue};
    /// let spring = Coupon {
    ///     max_per_customer: Some(1),
    ///     ..Coupon::new(CouponCode::parse("SPRING").unwrap(), CouponValue::PercentOff("10".parse().unwrap()))
    /// };
    /// assert!(spring.active && spring.max_redemptions.is_none());
    /// ```
    pub fn new(code: CouponCode, value: CouponValue) -> Self {
        Coupon {
            code,
            value,
            min_subtotal: Money::ZERO,
            valid_from: None,
            valid_until: None,
            max_redemptions: None,
            max_per_customer: None,
            active: true,
        }
    }

    /// Whether the coupon applies at `now` to an order with `subtotal` (after
    /// tier discounts), given how often it is in use. Checked in this order:
    /// active, not yet valid, expired, exhausted, per-customer limit, minimum subtotal.
    ///
    /// ```
    /// use shopcore::{Coupon, CouponCode, CouponUsage, CouponValue, ErrorCode, Money};
    /// let coupon = Coupon {
    ///     code: CouponCode::parse("WELCOME").unwrap(),
    ///     value: CouponValue::PercentOff("10".parse().unwrap()),
    ///     min_subtotal: "100.00".parse().unwrap(),
    ///     valid_from: None,
    ///     valid_until: None,
    ///     max_redemptions: Some(2),
    ///     max_per_customer: Some(1),
    ///     active: true,
    /// };
    /// let now = chrono::Utc::now();
    /// let ok = CouponUsage { total: 1, by_customer: 0 };
    /// assert!(coupon.check(ok, "150.00".parse().unwrap(), now).is_ok());
    /// let used = CouponUsage { total: 1, by_customer: 1 };
    /// assert_eq!(coupon.check(used, "150.00".parse().unwrap(), now).unwrap_err().code(), "coupon_customer_limit");
    /// let small = coupon.check(ok, "99.99".parse().unwrap(), now).unwrap_err();
    /// assert_eq!(small.code(), "coupon_min_subtotal");
    /// ```
    pub fn check(
        &self,
        usage: CouponUsage,
        subtotal: Money,
        now: DateTime<Utc>,
    ) -> Result<(), CouponError> {
        let code = || self.code.clone();
        if !self.active {
            return Err(CouponError::Inactive(code()));
        }
        if let Some(from) = self.valid_from.filter(|from| now < *from) {
            return Err(CouponError::NotYetValid { code: code(), from });
        }
        if let Some(until) = self.valid_until.filter(|until| now >= *until) {
            return Err(CouponError::Expired {
                code: code(),
                until,
            });
        }
        if let Some(max) = self.max_redemptions.filter(|max| usage.total >= *max) {
            return Err(CouponError::Exhausted { code: code(), max });
        }
        if let Some(max) = self
            .max_per_customer
            .filter(|max| usage.by_customer >= *max)
        {
            return Err(CouponError::CustomerLimit { code: code(), max });
        }
        if subtotal < self.min_subtotal {
            return Err(CouponError::MinSubtotal {
                code: code(),
                min: self.min_subtotal,
                subtotal,
            });
        }
        Ok(())
    }

    /// Checks a coupon's own consistency: a window that starts before it ends
    /// (to the microsecond, as stores keep instants: a window shorter than
    /// that would be empty once stored), limits of at least 1.
    pub fn validate(&self) -> Result<(), CouponAdminError> {
        if let (Some(from), Some(until)) = (self.valid_from, self.valid_until) {
            use chrono::SubsecRound as _;
            if from.trunc_subsecs(6) >= until.trunc_subsecs(6) {
                return Err(CouponAdminError::Invalid(
                    "valid_from must be before valid_until".into(),
                ));
            }
        }
        for (name, limit) in [
            ("max_redemptions", self.max_redemptions),
            ("max_per_customer", self.max_per_customer),
        ] {
            if limit == Some(0) {
                return Err(CouponAdminError::Invalid(format!(
                    "{name} must be at least 1 (deactivate the coupon to stop it)"
                )));
            }
        }
        Ok(())
    }
}

/// A change to a coupon: each field given replaces the stored one.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CouponPatch {
    /// A new value.
    pub value: Option<CouponValue>,
    /// A new minimum subtotal.
    pub min_subtotal: Option<Money>,
    /// A new start (`Some(None)` removes it).
    pub valid_from: Option<Option<DateTime<Utc>>>,
    /// A new end (`Some(None)` removes it).
    pub valid_until: Option<Option<DateTime<Utc>>>,
    /// A new total limit (`Some(None)` removes it).
    pub max_redemptions: Option<Option<u32>>,
    /// A new per-customer limit (`Some(None)` removes it).
    pub max_per_customer: Option<Option<u32>>,
    /// Active or not.
    pub active: Option<bool>,
}

impl CouponPatch {
    /// The coupon with this patch applied, checked.
    ///
    /// ```
    /// use shopcore::{Coupon, CouponCode, CouponPatch, CouponValue, Money};
    /// let coupon = Coupon {
    ///     code: CouponCode::parse("SPRING").unwrap(),
    ///     value: CouponValue::AmountOff("5.00".parse().unwrap()),
    ///     min_subtotal: Money::ZERO,
    ///     valid_from: None, valid_until: None,
    ///     max_redemptions: None, max_per_customer: None,
    ///     active: true,
    /// };
    /// let off = CouponPatch { active: Some(false), ..CouponPatch::default() };
    /// assert!(!off.applied_to(&coupon).unwrap().active);
    /// let none = CouponPatch { max_redemptions: Some(Some(0)), ..CouponPatch::default() };
    /// assert!(none.applied_to(&coupon).is_err());
    /// ```
    pub fn applied_to(&self, coupon: &Coupon) -> Result<Coupon, CouponAdminError> {
        let patched = Coupon {
            code: coupon.code.clone(),
            value: self.value.unwrap_or(coupon.value),
            min_subtotal: self.min_subtotal.unwrap_or(coupon.min_subtotal),
            valid_from: self.valid_from.unwrap_or(coupon.valid_from),
            valid_until: self.valid_until.unwrap_or(coupon.valid_until),
            max_redemptions: self.max_redemptions.unwrap_or(coupon.max_redemptions),
            max_per_customer: self.max_per_customer.unwrap_or(coupon.max_per_customer),
            active: self.active.unwrap_or(coupon.active),
        };
        patched.validate()?;
        Ok(patched)
    }
}

/// Why a coupon cannot be created or changed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CouponAdminError {
    /// See [`ErrorKind::InvalidCoupon`].
    #[error("invalid coupon: {0}")]
    Invalid(String),
    /// See [`ErrorKind::CouponExists`].
    #[error("coupon {0} already exists")]
    Exists(CouponCode),
    /// See [`ErrorKind::CouponUnknown`].
    #[error("coupon {0} does not exist")]
    Unknown(CouponCode),
    /// See [`ErrorKind::StorageFailure`] and [`ErrorKind::StorageUnavailable`].
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl ErrorCode for CouponAdminError {
    fn kind(&self) -> ErrorKind {
        match self {
            Self::Invalid(_) => ErrorKind::InvalidCoupon,
            Self::Exists(_) => ErrorKind::CouponExists,
            Self::Unknown(_) => ErrorKind::CouponUnknown,
            Self::Storage(error) => error.kind(),
        }
    }
}

/// A coupon with how often it is in use, as the administration shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CouponRecord {
    /// The coupon.
    pub coupon: Coupon,
    /// Orders using it that are not cancelled.
    pub times_redeemed: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn coupon() -> Coupon {
        Coupon::new(
            CouponCode::parse("T").unwrap(),
            CouponValue::PercentOff("10".parse().unwrap()),
        )
    }

    #[test]
    fn the_window_includes_its_start_and_excludes_its_end() {
        let start = DateTime::UNIX_EPOCH + chrono::Duration::days(10);
        let end = start + chrono::Duration::days(1);
        let c = Coupon {
            valid_from: Some(start),
            valid_until: Some(end),
            ..coupon()
        };
        let at = |t| c.check(CouponUsage::default(), Money::ZERO, t);
        assert_eq!(
            at(start - chrono::Duration::microseconds(1))
                .unwrap_err()
                .code(),
            "coupon_not_yet_valid"
        );
        assert!(at(start).is_ok());
        assert!(at(end - chrono::Duration::microseconds(1)).is_ok());
        assert_eq!(at(end).unwrap_err().code(), "coupon_expired");
    }

    #[test]
    fn limits_count_what_is_in_use_and_inactive_comes_first() {
        let c = Coupon {
            max_redemptions: Some(3),
            ..coupon()
        };
        let used = |total| CouponUsage {
            total,
            by_customer: 0,
        };
        assert!(c.check(used(2), Money::ZERO, Utc::now()).is_ok());
        assert_eq!(
            c.check(used(3), Money::ZERO, Utc::now())
                .unwrap_err()
                .code(),
            "coupon_exhausted"
        );
        let off = Coupon { active: false, ..c };
        assert_eq!(
            off.check(used(3), Money::ZERO, Utc::now())
                .unwrap_err()
                .code(),
            "coupon_inactive"
        );
    }

    #[test]
    fn values_must_take_something_off_and_windows_must_be_ordered() {
        assert!(CouponValue::new_percent(Percent::ZERO).is_err());
        assert!(CouponValue::new_amount(Money::ZERO).is_err());
        let t = DateTime::UNIX_EPOCH;
        let backwards = Coupon {
            valid_from: Some(t),
            valid_until: Some(t),
            ..coupon()
        };
        assert_eq!(backwards.validate().unwrap_err().code(), "invalid_coupon");
        // Apart by less than the microsecond a store keeps: empty once stored.
        let at = |text: &str| Some(text.parse::<DateTime<Utc>>().unwrap());
        let instant = Coupon {
            valid_from: at("2030-01-01T00:00:00.0000011Z"),
            valid_until: at("2030-01-01T00:00:00.0000019Z"),
            ..backwards.clone()
        };
        assert_eq!(instant.validate().unwrap_err().code(), "invalid_coupon");
        let micro = Coupon {
            valid_from: at("2030-01-01T00:00:00.000001Z"),
            valid_until: at("2030-01-01T00:00:00.000002Z"),
            ..backwards.clone()
        };
        assert!(micro.validate().is_ok());
    }
}
