//! Conversion of Python arguments into domain values, at the edge.
//!
//! Shape problems (a missing field, a string where an integer belongs, a float
//! for money, a lone surrogate in a string) raise `ValidationError` with code
//! `invalid_request`; values of the right shape are then parsed by the core's
//! constructors, whose errors carry their own codes (`invalid_quantity`, …).

use pyo3::prelude::*;
use pyo3::types::{PyBool, PyDict, PyFloat, PyInt, PyList, PyString, PyTuple};
use rust_decimal::Decimal;
use shopcore::{
    Cart, CartLine, ErrorCode, ErrorKind, FulfillmentLine, IdempotencyKey, LineQuantity, Money,
    Percent, ProductId, Quantity, Region,
};

use crate::errors::{to_py_err, IntoPyResult};

/// A malformed argument.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct InvalidRequest(pub String);

impl ErrorCode for InvalidRequest {
    fn kind(&self) -> ErrorKind {
        ErrorKind::InvalidRequest
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> PyErr {
    to_py_err(InvalidRequest(message.into()))
}

/// An integer argument; out-of-range integers saturate so the domain
/// constructor reports them with its own code.
pub(crate) fn integer(value: &Bound<'_, PyAny>, field: &str) -> PyResult<i64> {
    if value.is_instance_of::<PyBool>() || !value.is_instance_of::<PyInt>() {
        return Err(invalid(format!("{field} must be an integer")));
    }
    match value.extract::<i64>() {
        Ok(number) => Ok(number),
        Err(_) if value.lt(0)? => Ok(i64::MIN),
        Err(_) => Ok(i64::MAX),
    }
}

/// A string argument.
pub(crate) fn text(value: &Bound<'_, PyAny>, field: &str) -> PyResult<String> {
    if !value.is_instance_of::<PyString>() {
        return Err(invalid(format!("{field} must be a string")));
    }
    value
        .extract::<String>()
        .map_err(|_| invalid(format!("{field} is not valid Unicode")))
}

/// An optional string argument (`None` stays `None`).
pub(crate) fn optional_text(
    value: Option<&Bound<'_, PyAny>>,
    field: &str,
) -> PyResult<Option<String>> {
    match value {
        None => Ok(None),
        Some(v) if v.is_none() => Ok(None),
        Some(v) => text(v, field).map(Some),
    }
}

/// An exact decimal: `decimal.Decimal`, `int` or a decimal string; never a float.
///
/// Every digit counts: a value with more digits than a decimal holds (about
/// 28) is refused rather than rounded.
pub(crate) fn decimal(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Decimal> {
    if value.is_instance_of::<PyBool>() {
        return Err(invalid(format!(
            "{field} must be a decimal.Decimal, an int or a string, not a bool"
        )));
    }
    if value.is_instance_of::<PyFloat>() {
        return Err(invalid(format!(
            "{field} must be a decimal.Decimal, an int or a string, not a float"
        )));
    }
    let exact = |raw: &str| {
        Decimal::from_str_exact(raw.trim()).map_err(|_| {
            invalid(format!(
                "{field} is not a decimal number with at most 28 digits"
            ))
        })
    };
    if value.is_instance_of::<PyString>() {
        return exact(&text(value, field)?);
    }
    if value.is_instance_of::<PyInt>() {
        return exact(&value.str()?.to_cow()?);
    }
    // A decimal.Decimal, written out in full (never in exponent form).
    let is_decimal = value
        .get_type()
        .name()
        .is_ok_and(|name| name.to_cow().is_ok_and(|n| n == "Decimal"));
    if !is_decimal {
        return Err(invalid(format!("{field} must be a decimal number")));
    }
    let finite: bool = value.call_method0("is_finite")?.extract()?;
    if !finite {
        return Err(invalid(format!("{field} must be a finite decimal number")));
    }
    // Beyond 10^30 no amount fits: refuse before writing out a huge number.
    let exponent: i64 = value.call_method0("adjusted")?.extract()?;
    if exponent > 30 {
        return Err(invalid(format!("{field} is too large")));
    }
    exact(
        &value
            .call_method1("__format__", ("f",))?
            .extract::<String>()?,
    )
}

pub(crate) fn money(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Money> {
    Money::new(decimal(value, field)?).py_result()
}

pub(crate) fn percent(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Percent> {
    Percent::new(decimal(value, field)?).py_result()
}

pub(crate) fn region(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<Region>> {
    optional_text(value, "region")?
        .map(|r| Region::parse(&r))
        .transpose()
        .py_result()
}

pub(crate) fn idempotency_key(
    value: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<IdempotencyKey>> {
    optional_text(value, "idempotency_key")?
        .map(|k| IdempotencyKey::parse(&k))
        .transpose()
        .py_result()
}

/// One `(product, quantity)` line of `field`: `{"product_id": …, "quantity": …}`
/// or `(product_id, quantity)`.
fn product_line(
    item: &Bound<'_, PyAny>,
    field: &str,
    index: usize,
) -> PyResult<(ProductId, Quantity)> {
    let (product, quantity) = if let Ok(dict) = item.cast::<PyDict>() {
        let value = |name: &str| {
            dict.get_item(name)?
                .ok_or_else(|| invalid(format!("{field}[{index}] is missing {name}")))
        };
        (value("product_id")?, value("quantity")?)
    } else if let Ok(pair) = item.cast::<PyTuple>() {
        if pair.len() != 2 {
            return Err(invalid(format!(
                "{field}[{index}] must be (product_id, quantity)"
            )));
        }
        (pair.get_item(0)?, pair.get_item(1)?)
    } else {
        return Err(invalid(format!(
            "{field}[{index}] must be an object with product_id and quantity"
        )));
    };
    Ok((
        ProductId::new(integer(&product, "product_id")?).py_result()?,
        Quantity::new(integer(&quantity, "quantity")?).py_result()?,
    ))
}

/// The items of a list (or tuple) argument `field`, at most `max` of them.
fn items<'py>(
    value: &Bound<'py, PyAny>,
    field: &str,
    max: usize,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let items: Vec<Bound<'py, PyAny>> = if let Ok(list) = value.cast::<PyList>() {
        list.iter().collect()
    } else if let Ok(tuple) = value.cast::<PyTuple>() {
        tuple.iter().collect()
    } else {
        return Err(invalid(format!("{field} must be a list")));
    };
    // Refuse absurd requests before building anything per line.
    if items.len() > max {
        return Err(invalid(format!("{field} may list at most {max} lines")));
    }
    Ok(items)
}

/// A cart from a list of lines; duplicates are merged by the core.
pub(crate) fn cart(lines: &Bound<'_, PyAny>) -> PyResult<Cart> {
    let lines = items(lines, "products", Cart::MAX_LINES * 10)?
        .iter()
        .enumerate()
        .map(|(index, item)| {
            product_line(item, "products", index).map(|(product_id, quantity)| CartLine {
                product_id,
                quantity,
            })
        })
        .collect::<PyResult<Vec<_>>>()?;
    Cart::new(lines).py_result()
}

/// The lines of a shipment (`None`: everything not yet shipped); a product
/// named twice ships the sum (the core adds them up).
pub(crate) fn fulfillment_lines(
    lines: Option<&Bound<'_, PyAny>>,
) -> PyResult<Option<Vec<FulfillmentLine>>> {
    let Some(lines) = lines.filter(|l| !l.is_none()) else {
        return Ok(None);
    };
    items(lines, "lines", Cart::MAX_LINES * 10)?
        .iter()
        .enumerate()
        .map(|(index, item)| {
            product_line(item, "lines", index).map(|(product_id, quantity)| FulfillmentLine {
                product_id,
                quantity,
            })
        })
        .collect::<PyResult<Vec<_>>>()
        .map(Some)
}

/// The units of a partial cancel or a return: `(product_id, quantity)` or
/// `{"product_id", "quantity"}` lines, as a shipment's; a product named twice
/// counts the sum (the core adds them up). An empty list is the core's to
/// refuse (`invalid_request`).
pub(crate) fn line_quantities(lines: &Bound<'_, PyAny>) -> PyResult<Vec<LineQuantity>> {
    items(lines, "lines", Cart::MAX_LINES * 10)?
        .iter()
        .enumerate()
        .map(|(index, item)| {
            product_line(item, "lines", index).map(|(product_id, quantity)| LineQuantity {
                product_id,
                quantity,
            })
        })
        .collect()
}

/// An optional `True`/`False` argument: `None` (or left out) stays `None`;
/// anything but a bool is a `ValidationError` (never Python's truthiness).
pub(crate) fn optional_bool(
    value: Option<&Bound<'_, PyAny>>,
    field: &str,
) -> PyResult<Option<bool>> {
    match value.filter(|v| !v.is_none()) {
        None => Ok(None),
        Some(given) => given
            .cast::<PyBool>()
            .map(|b| Some(b.is_true()))
            .map_err(|_| invalid(format!("{field} must be True or False"))),
    }
}

/// An amount of money above zero: `invalid_amount` for zero or less,
/// `invalid_money` for what is not an amount (more than two decimals, too large).
pub(crate) fn positive_money(value: &Bound<'_, PyAny>, field: &str) -> PyResult<Money> {
    Money::positive(decimal(value, field)?).py_result()
}
