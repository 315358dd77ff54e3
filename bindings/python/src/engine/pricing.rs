//! Pricing: coupons, the live price list and the pricing auditor.

use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::Store;

use super::Engine;
use crate::errors::IntoPyResult;

#[pymethods]
impl Engine {
    /// Creates a coupon from a mapping: `code`, exactly one of `percent_off`
    /// and `amount_off`, and optionally `min_subtotal`, `valid_from`,
    /// `valid_until` (aware datetimes or RFC 3339 strings), `max_redemptions`,
    /// `max_per_customer`, `active`. `ConflictError` `coupon_exists` if the
    /// code (any case) is taken.
    fn create_coupon(
        &self,
        py: Python<'_>,
        coupon: &Bound<'_, PyAny>,
    ) -> PyResult<crate::coupons::Coupon> {
        let coupon = crate::coupons::new_coupon(coupon)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.create_coupon(coupon).await })
            .map(Into::into)
            .py_result()
    }

    /// Changes a coupon: each field of `changes` replaces the stored one
    /// (`None` clears a limit or a time); e.g. `{"active": False}`.
    fn update_coupon(
        &self,
        py: Python<'_>,
        code: &Bound<'_, PyAny>,
        changes: &Bound<'_, PyAny>,
    ) -> PyResult<crate::coupons::Coupon> {
        let code = crate::coupons::code(code)?;
        let patch = crate::coupons::patch(changes)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.update_coupon(&code, &patch).await })
            .map(Into::into)
            .py_result()
    }

    /// One coupon (any case of its code); `NotFoundError` `coupon_unknown`.
    fn coupon(&self, py: Python<'_>, code: &Bound<'_, PyAny>) -> PyResult<crate::coupons::Coupon> {
        let code = crate::coupons::code(code)?;
        let store = Arc::clone(&self.store);
        let wanted = code.clone();
        self.run(py, async move { store.coupon(&wanted).await })
            .py_result()?
            .map(Into::into)
            .ok_or_else(|| crate::errors::to_py_err(shopcore::CouponAdminError::Unknown(code)))
    }

    /// The store's live price list, to quote carts against without the store
    /// (property tests of the rules the shop actually holds).
    fn price_list(&self, py: Python<'_>) -> PyResult<crate::PyPriceList> {
        let store = Arc::clone(&self.store);
        let list = self
            .run(py, async move { shopcore::price_list(&*store).await })
            .py_result()?;
        Ok(crate::PyPriceList::from_store(
            list,
            store_policy(&*self.store),
        ))
    }

    /// The pricing auditor over the store's live price list (a dict: see
    /// `shopcore.audit_pricing`).
    fn audit_pricing<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let store = Arc::clone(&self.store);
        let audit = self
            .run(
                py,
                async move { shopcore::audit_store_pricing(&*store).await },
            )
            .py_result()?;
        crate::pricing_audit::audit(py, &audit)
    }

    /// The auditor's findings for `tiers` as product `product_id`'s ladder at
    /// its current price, without changing anything (a list of dicts; empty
    /// when the ladder is clean).
    fn audit_ladder<'py>(
        &self,
        py: Python<'py>,
        product_id: &Bound<'py, PyAny>,
        tiers: &Bound<'py, PyAny>,
    ) -> PyResult<Bound<'py, pyo3::types::PyList>> {
        let id = super::product_id(product_id)?;
        let ladder = crate::admin::ladder(tiers)?;
        let store = Arc::clone(&self.store);
        let findings = self
            .run(py, async move {
                shopcore::audit_proposed_ladder(&*store, id, &ladder).await
            })
            .py_result()?;
        crate::pricing_audit::findings(py, &findings)
    }
}

/// The rounding and point value a store prices with.
fn store_policy(store: &dyn Store) -> (shopcore::PricingPolicy, shopcore::PointValue) {
    let config = store.config();
    (config.pricing, config.point_value)
}
