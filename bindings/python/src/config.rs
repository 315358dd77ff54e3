//! `shopcore.ShopConfig`: the shop's policies, given to `Engine.in_memory` and
//! `Engine.mysql` as `config=`. Converts and validates; the policies themselves
//! are `shopcore::ShopConfig`.

use pyo3::prelude::*;
use shopcore::{LoyaltyPolicy, PointValue, PricingPolicy, Region, RoundingMode, TaxRounding};

use crate::args::{invalid, money};
use crate::errors::IntoPyResult;

/// The shop's policies: the default tax region, how amounts are rounded and
/// where tax is rounded, the loyalty unit and what a point is worth, the
/// delivery promise and how long sessions last. Every argument is optional
/// and keyword-only; the defaults are the seed shop's (Cairo, half-up, per
/// order, 1 point per 10.00, a point worth 0.01, 5 days, 24 hours).
#[pyclass(frozen, eq, module = "shopcore._core", name = "ShopConfig")]
#[derive(Clone, PartialEq)]
pub(crate) struct PyShopConfig {
    pub(crate) inner: shopcore::ShopConfig,
}

/// `"half_up"` or `"half_even"`.
pub(crate) fn rounding(text: &str) -> PyResult<RoundingMode> {
    match text {
        "half_up" => Ok(RoundingMode::HalfUp),
        "half_even" => Ok(RoundingMode::HalfEven),
        other => Err(invalid(format!(
            "rounding must be \"half_up\" or \"half_even\", not {other:?}"
        ))),
    }
}

/// `"per_order"` or `"per_line"`, given as `field`.
pub(crate) fn tax_mode(text: &str, field: &str) -> PyResult<TaxRounding> {
    match text {
        "per_order" => Ok(TaxRounding::PerOrder),
        "per_line" => Ok(TaxRounding::PerLine),
        other => Err(invalid(format!(
            "{field} must be \"per_order\" or \"per_line\", not {other:?}"
        ))),
    }
}

/// Sessions last 1 hour to a year.
pub(crate) fn checked_session_hours(hours: u16) -> PyResult<u16> {
    if (1..=8760).contains(&hours) {
        Ok(hours)
    } else {
        Err(invalid("session_hours must be from 1 to 8760 (a year)"))
    }
}

#[pymethods]
impl PyShopConfig {
    #[new]
    #[pyo3(signature = (*, default_region = "Cairo", rounding = "half_up", tax_mode = "per_order",
                        loyalty_unit = None, point_value = None, delivery_days = 5, session_hours = 24))]
    fn new(
        default_region: &str,
        rounding: &str,
        tax_mode: &str,
        loyalty_unit: Option<&Bound<'_, PyAny>>,
        point_value: Option<&Bound<'_, PyAny>>,
        delivery_days: u16,
        session_hours: u16,
    ) -> PyResult<Self> {
        let mut inner =
            shopcore::ShopConfig::with_default_region(Region::parse(default_region).py_result()?);
        inner.pricing = PricingPolicy {
            rounding: self::rounding(rounding)?,
            tax_rounding: self::tax_mode(tax_mode, "tax_mode")?,
        };
        if let Some(unit) = loyalty_unit {
            inner.loyalty = LoyaltyPolicy::new(money(unit, "loyalty_unit")?).py_result()?;
        }
        if let Some(value) = point_value {
            inner.point_value = PointValue::new(money(value, "point_value")?).py_result()?;
        }
        if delivery_days > 365 {
            return Err(invalid("delivery_days must be from 0 to 365"));
        }
        inner.delivery_days = delivery_days;
        inner.session_hours = checked_session_hours(session_hours)?;
        Ok(PyShopConfig { inner })
    }

    /// The tax region of a request that names none.
    #[getter]
    fn default_region(&self) -> String {
        self.inner.default_region.to_string()
    }

    /// `"half_up"` or `"half_even"`: how discounts and tax round to cents.
    #[getter]
    fn rounding(&self) -> &'static str {
        self.inner.pricing.rounding.as_str()
    }

    /// `"per_order"` or `"per_line"`: where tax is rounded.
    #[getter]
    fn tax_mode(&self) -> &'static str {
        self.inner.pricing.tax_rounding.as_str()
    }

    /// The amount that earns one loyalty point.
    #[getter]
    fn loyalty_unit(&self) -> rust_decimal::Decimal {
        self.inner.loyalty.unit().amount()
    }

    /// What one redeemed point is worth.
    #[getter]
    fn point_value(&self) -> rust_decimal::Decimal {
        self.inner.point_value.get().amount()
    }

    /// Days from order to the delivery date the confirmation promises.
    #[getter]
    fn delivery_days(&self) -> u16 {
        self.inner.delivery_days
    }

    /// Hours a customer session lasts after login.
    #[getter]
    fn session_hours(&self) -> u16 {
        self.inner.session_hours
    }

    fn __repr__(&self) -> String {
        format!(
            "ShopConfig(default_region={:?}, rounding={:?}, tax_mode={:?}, loyalty_unit=Decimal('{}'), \
             point_value=Decimal('{}'), delivery_days={}, session_hours={})",
            self.inner.default_region.to_string(),
            self.rounding(),
            self.tax_mode(),
            self.inner.loyalty.unit(),
            self.inner.point_value.get(),
            self.inner.delivery_days,
            self.inner.session_hours
        )
    }
}
