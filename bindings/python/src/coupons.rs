//! Coupons at the edge: their fields from a Python mapping (the body of the
//! HTTP routes, or a `dict` from Python code), and the `Coupon` record.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyString};
use rust_decimal::Decimal;
use shopcore::{CouponCode, CouponPatch, CouponRecord, CouponValue, Money};

use crate::args::{integer, invalid, money, percent, text};
use crate::errors::IntoPyResult;
use crate::records::{record, DictValue};

const FIELDS: &[&str] = &[
    "code",
    "percent_off",
    "amount_off",
    "min_subtotal",
    "valid_from",
    "valid_until",
    "max_redemptions",
    "max_per_customer",
    "active",
];

record!(
    /// A coupon, with how many orders that are not cancelled use it.
    Coupon {
        code: String,
        percent_off: Option<Decimal>,
        amount_off: Option<Decimal>,
        min_subtotal: Decimal,
        valid_from: Option<DateTime<Utc>>,
        valid_until: Option<DateTime<Utc>>,
        max_redemptions: Option<u32>,
        max_per_customer: Option<u32>,
        active: bool,
        times_redeemed: u32,
    }
);

impl From<CouponRecord> for Coupon {
    fn from(record: CouponRecord) -> Self {
        let c = record.coupon;
        let (percent_off, amount_off) = match c.value {
            CouponValue::PercentOff(p) => (Some(p.value()), None),
            CouponValue::AmountOff(a) => (None, Some(a.amount())),
        };
        Coupon {
            code: c.code.to_string(),
            percent_off,
            amount_off,
            min_subtotal: c.min_subtotal.amount(),
            valid_from: c.valid_from,
            valid_until: c.valid_until,
            max_redemptions: c.max_redemptions,
            max_per_customer: c.max_per_customer,
            active: c.active,
            times_redeemed: record.times_redeemed,
        }
    }
}

/// A coupon code argument.
pub(crate) fn code(value: &Bound<'_, PyAny>) -> PyResult<CouponCode> {
    CouponCode::parse(&text(value, "code")?).py_result()
}

/// An optional `coupon_code=` argument (`None` stays `None`).
pub(crate) fn optional_code(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<CouponCode>> {
    value.filter(|v| !v.is_none()).map(code).transpose()
}

/// Points to redeem: a whole number from 0.
pub(crate) fn points(value: Option<&Bound<'_, PyAny>>) -> PyResult<u64> {
    match value.filter(|v| !v.is_none()) {
        None => Ok(0),
        Some(v) => {
            let n = integer(v, "redeem_points")?;
            u64::try_from(n)
                .ok()
                .filter(|n| *n <= shopcore::MAX_POINTS)
                .ok_or_else(|| invalid("redeem_points must be a whole number from 0"))
        }
    }
}

fn instant(value: &Bound<'_, PyAny>, field: &str) -> PyResult<DateTime<Utc>> {
    if value.is_instance_of::<PyString>() {
        let raw = text(value, field)?;
        return DateTime::parse_from_rfc3339(&raw)
            .map(|t| t.with_timezone(&Utc))
            .map_err(|_| {
                invalid(format!(
                    "{field} must be an RFC 3339 time with an offset, e.g. 2027-01-01T00:00:00Z"
                ))
            });
    }
    value.extract::<DateTime<Utc>>().map_err(|_| {
        invalid(format!(
            "{field} must be a timezone-aware datetime or an RFC 3339 string"
        ))
    })
}

fn limit(value: &Bound<'_, PyAny>, field: &str) -> PyResult<u32> {
    let n = integer(value, field)?;
    u32::try_from(n).ok().filter(|n| *n >= 1).ok_or_else(|| {
        invalid(format!(
            "{field} must be a whole number from 1 to {}",
            u32::MAX
        ))
    })
}

/// A field of the mapping that may be `None`: `None` if absent, `Some(None)` if null.
fn nullable<T>(
    fields: &Bound<'_, PyDict>,
    name: &str,
    parse: impl Fn(&Bound<'_, PyAny>, &str) -> PyResult<T>,
) -> PyResult<Option<Option<T>>> {
    match fields.get_item(name)? {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(Some(None)),
        Some(v) => parse(&v, name).map(|t| Some(Some(t))),
    }
}

fn checked_dict<'py>(fields: &Bound<'py, PyAny>) -> PyResult<Bound<'py, PyDict>> {
    let dict = fields
        .cast::<PyDict>()
        .map_err(|_| invalid("a coupon must be an object"))?
        .clone();
    for key in dict.keys() {
        let key = key
            .extract::<String>()
            .map_err(|_| invalid("coupon fields are named by strings"))?;
        if !FIELDS.contains(&key.as_str()) {
            let shown: String = key.chars().take(40).collect();
            return Err(invalid(format!(
                "unknown coupon field {shown:?}; known: {}",
                FIELDS.join(", ")
            )));
        }
    }
    Ok(dict)
}

/// The value: exactly one of `percent_off` and `amount_off`, if either is given.
fn value(dict: &Bound<'_, PyDict>) -> PyResult<Option<CouponValue>> {
    let percent_off = nullable(dict, "percent_off", percent)?;
    let amount_off = nullable(dict, "amount_off", money)?;
    match (percent_off, amount_off) {
        (None, None) => Ok(None),
        (Some(Some(p)), None) => CouponValue::new_percent(p).py_result().map(Some),
        (None, Some(Some(a))) => CouponValue::new_amount(a).py_result().map(Some),
        _ => Err(invalid(
            "give exactly one of percent_off and amount_off, not null",
        )),
    }
}

fn active(v: &Bound<'_, PyAny>, field: &str) -> PyResult<bool> {
    if !v.is_instance_of::<PyBool>() {
        return Err(invalid(format!("{field} must be true or false")));
    }
    v.extract()
}

/// A new coupon from `{"code", "percent_off" | "amount_off", …}`.
pub(crate) fn new_coupon(fields: &Bound<'_, PyAny>) -> PyResult<shopcore::Coupon> {
    let dict = checked_dict(fields)?;
    let code = match dict.get_item("code")? {
        Some(v) => code(&v)?,
        None => return Err(invalid("a coupon needs a code")),
    };
    let value = value(&dict)?.ok_or_else(|| invalid("a coupon needs percent_off or amount_off"))?;
    let coupon = shopcore::Coupon {
        min_subtotal: nullable(&dict, "min_subtotal", money)?
            .flatten()
            .unwrap_or(Money::ZERO),
        valid_from: nullable(&dict, "valid_from", instant)?.flatten(),
        valid_until: nullable(&dict, "valid_until", instant)?.flatten(),
        max_redemptions: nullable(&dict, "max_redemptions", limit)?.flatten(),
        max_per_customer: nullable(&dict, "max_per_customer", limit)?.flatten(),
        active: nullable(&dict, "active", active)?.flatten().unwrap_or(true),
        ..shopcore::Coupon::new(code, value)
    };
    coupon.validate().py_result()?;
    Ok(coupon)
}

/// A change from a mapping of the fields to replace (`null` clears a limit or a time).
pub(crate) fn patch(fields: &Bound<'_, PyAny>) -> PyResult<CouponPatch> {
    let dict = checked_dict(fields)?;
    if dict.contains("code")? {
        return Err(invalid("a coupon's code cannot be changed"));
    }
    let not_null = |name: &str| invalid(format!("{name} cannot be null"));
    Ok(CouponPatch {
        value: value(&dict)?,
        min_subtotal: nullable(&dict, "min_subtotal", money)?
            .map(|v| v.ok_or_else(|| not_null("min_subtotal")))
            .transpose()?,
        valid_from: nullable(&dict, "valid_from", instant)?,
        valid_until: nullable(&dict, "valid_until", instant)?,
        max_redemptions: nullable(&dict, "max_redemptions", limit)?,
        max_per_customer: nullable(&dict, "max_per_customer", limit)?,
        active: nullable(&dict, "active", active)?
            .map(|v| v.ok_or_else(|| not_null("active")))
            .transpose()?,
    })
}
