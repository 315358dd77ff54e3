//! Catalog administration at the edge: tier ladders and actors from Python
//! arguments, and the change log, ladder and tax-rate records.

use chrono::{DateTime, Utc};
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use rust_decimal::Decimal;
use shopcore::{
    ChangeSubject, ChangeValue, CustomerId, ErrorCode, ErrorKind, Percent, Quantity, StaffKeyId,
    StaffRole, TierLadder, ValueError, MAX_STOCK,
};

use crate::args::{decimal, integer, invalid};
use crate::errors::{to_py_err, IntoPyResult};
use crate::records::{record, Actor, DictValue};

/// The core's actor for a Python `Actor` (from `Engine.authenticate`).
pub(crate) fn domain_actor(actor: &Actor) -> PyResult<shopcore::Actor> {
    match (
        actor.kind.as_str(),
        actor.customer_id,
        actor.key_id,
        &actor.role,
    ) {
        ("anonymous", ..) => Ok(shopcore::Actor::Anonymous),
        ("customer", Some(id), _, _) => {
            Ok(shopcore::Actor::Customer(CustomerId::new(id).py_result()?))
        }
        ("staff", _, Some(key), Some(role)) => Ok(shopcore::Actor::Staff {
            key: StaffKeyId::new(key).py_result()?,
            role: StaffRole::parse(role).py_result()?,
        }),
        _ => Err(invalid("malformed actor")),
    }
}

/// The actor of an optional `actor=` argument (anonymous without one).
pub(crate) fn optional_actor(actor: Option<&Actor>) -> PyResult<shopcore::Actor> {
    actor.map_or(Ok(shopcore::Actor::Anonymous), domain_actor)
}

/// Opening stock: a whole number from 0 to the largest stock level.
pub(crate) fn stock_level(value: &Bound<'_, PyAny>) -> PyResult<u32> {
    let level = integer(value, "quantity_available")?;
    u32::try_from(level)
        .ok()
        .filter(|level| *level <= MAX_STOCK)
        .ok_or_else(|| {
            to_py_err(Refusal {
                message: format!(
                    "quantity_available must be a whole number from 0 to {MAX_STOCK}, got {level}"
                ),
                kind: ErrorKind::InvalidQuantity,
            })
        })
}

/// A ladder from `[{"min_quantity": 5, "discount_percentage": Decimal("10")}, …]`;
/// errors name the rung (`tiers[2].min_quantity …`).
pub(crate) fn ladder(tiers: &Bound<'_, PyAny>) -> PyResult<TierLadder> {
    let list = tiers
        .cast::<PyList>()
        .map_err(|_| invalid("tiers must be a list"))?;
    if list.len() > TierLadder::MAX_RUNGS {
        return Err(invalid(format!(
            "a ladder has at most {} rungs, got {}",
            TierLadder::MAX_RUNGS,
            list.len()
        )));
    }
    let mut rungs = Vec::with_capacity(list.len());
    for (index, item) in list.iter().enumerate() {
        let rung = item
            .cast::<PyDict>()
            .map_err(|_| invalid(format!("tiers[{index}] must be an object")))?;
        for key in rung.keys() {
            let known = key
                .extract::<String>()
                .is_ok_and(|k| k == "min_quantity" || k == "discount_percentage");
            if !known {
                return Err(invalid(format!(
                    "tiers[{index}] has an unknown field (only min_quantity and discount_percentage)"
                )));
            }
        }
        let field = |name: &str| {
            rung.get_item(name)?
                .filter(|v| !v.is_none())
                .ok_or_else(|| invalid(format!("tiers[{index}] is missing {name}")))
        };
        let named = |e: ValueError| {
            to_py_err(Refusal {
                message: format!("tiers[{index}]: {e}"),
                kind: e.kind(),
            })
        };
        let quantity = integer(
            &field("min_quantity")?,
            &format!("tiers[{index}].min_quantity"),
        )?;
        let min_quantity = Quantity::new(quantity).map_err(named)?;
        let discount = decimal(
            &field("discount_percentage")?,
            &format!("tiers[{index}].discount_percentage"),
        )?;
        let discount = Percent::new(discount).map_err(named)?;
        rungs.push(shopcore::TierRung {
            min_quantity,
            discount,
        });
    }
    TierLadder::new(rungs).py_result()
}

/// A refused argument with the code of what was wrong (e.g. one rung of a ladder).
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
struct Refusal {
    message: String,
    kind: ErrorKind,
}

impl ErrorCode for Refusal {
    fn kind(&self) -> ErrorKind {
        self.kind
    }
}

record!(
    /// One rung of a tier ladder.
    TierRung {
        min_quantity: u32,
        discount_percentage: Decimal,
    }
);

impl From<&shopcore::TierRung> for TierRung {
    fn from(rung: &shopcore::TierRung) -> Self {
        TierRung {
            min_quantity: rung.min_quantity.get(),
            discount_percentage: rung.discount.value(),
        }
    }
}

/// A ladder's rungs as records, ascending.
pub(crate) fn rungs(ladder: &TierLadder) -> Vec<TierRung> {
    ladder.rungs().iter().map(TierRung::from).collect()
}

record!(
    /// A region's tax rate (a percentage: 14.00 means 14 %).
    TaxRate {
        region: String,
        tax_rate: Decimal,
    }
);

/// A value before or after a change, as the plain dict the change log shows.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct LoggedValue(ChangeValue);

impl DictValue for LoggedValue {
    fn dict_value<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let dict = PyDict::new(py);
        match &self.0 {
            ChangeValue::Product(fields) => {
                dict.set_item("product_name", &fields.product_name)?;
                dict.set_item("unit_price", fields.unit_price.amount())?;
                dict.set_item("retired", fields.retired)?;
            }
            ChangeValue::Ladder { tiers } => {
                dict.set_item("tiers", rungs(tiers).dict_value(py)?)?;
            }
            ChangeValue::TaxRate { tax_rate } => {
                dict.set_item("tax_rate", tax_rate.value())?;
            }
        }
        Ok(dict.into_any())
    }
}

/// One entry of the catalog change log.
#[pyclass(frozen, module = "shopcore._core")]
#[derive(Clone, Debug)]
pub struct CatalogChange {
    #[pyo3(get)]
    change_id: i64,
    #[pyo3(get)]
    changed_at: DateTime<Utc>,
    #[pyo3(get)]
    actor: Actor,
    /// `"product"`, `"ladder"` or `"tax_rate"`.
    #[pyo3(get)]
    subject: &'static str,
    #[pyo3(get)]
    product_id: Option<i64>,
    #[pyo3(get)]
    region: Option<String>,
    before: Option<LoggedValue>,
    after: Option<LoggedValue>,
}

impl From<shopcore::CatalogChange> for CatalogChange {
    fn from(change: shopcore::CatalogChange) -> Self {
        let (product_id, region) = match &change.subject {
            ChangeSubject::Product(id) | ChangeSubject::Ladder(id) => (Some(id.get()), None),
            ChangeSubject::TaxRate(region) => (None, Some(region.as_str().to_owned())),
        };
        CatalogChange {
            change_id: change.id.get(),
            changed_at: change.at,
            actor: Actor::from(change.actor),
            subject: change.subject.kind(),
            product_id,
            region,
            before: change.before.map(LoggedValue),
            after: change.after.map(LoggedValue),
        }
    }
}

#[pymethods]
impl CatalogChange {
    /// The value before the change (`None` for something new), as a dict.
    #[getter]
    fn before<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.before.dict_value(py)
    }

    /// The value after the change (`None` for something removed), as a dict.
    #[getter]
    fn after<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        self.after.dict_value(py)
    }

    /// The attributes as a plain `dict`.
    fn to_dict<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let dict = PyDict::new(py);
        dict.set_item("change_id", self.change_id)?;
        dict.set_item("changed_at", self.changed_at)?;
        dict.set_item("actor", self.actor.dict_value(py)?)?;
        dict.set_item("subject", self.subject)?;
        dict.set_item("product_id", self.product_id)?;
        dict.set_item("region", &self.region)?;
        dict.set_item("before", self.before.dict_value(py)?)?;
        dict.set_item("after", self.after.dict_value(py)?)?;
        Ok(dict)
    }

    fn __repr__(&self, py: Python<'_>) -> PyResult<String> {
        Ok(format!("CatalogChange({})", self.to_dict(py)?.repr()?))
    }
}
