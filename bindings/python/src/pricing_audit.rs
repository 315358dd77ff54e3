//! The pricing auditor's findings as plain Python dicts (JSON-ready: ints,
//! strings, `decimal.Decimal`s), shared by `shopcore.audit_pricing`,
//! `Engine.audit_pricing` and `Engine.audit_ladder`.

use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use shopcore::{LadderFinding, PricingAudit};

fn finding<'py>(py: Python<'py>, finding: &LadderFinding) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    match finding {
        LadderFinding::MoreCostsLess {
            from,
            to,
            cheaper_at,
            price_at_to,
            price_at_cheaper,
        } => {
            dict.set_item("kind", "more_costs_less")?;
            dict.set_item("from_quantity", from)?;
            dict.set_item("to_quantity", to)?;
            dict.set_item("cheaper_at", cheaper_at)?;
            dict.set_item("price_at_to", price_at_to.amount())?;
            dict.set_item("price_at_cheaper", price_at_cheaper.amount())?;
        }
        LadderFinding::NeverApplies {
            min_quantity,
            discount,
            shadowed_by,
        } => {
            dict.set_item("kind", "never_applies")?;
            dict.set_item("min_quantity", min_quantity)?;
            dict.set_item("discount_percentage", discount.value())?;
            dict.set_item("shadowed_by", shadowed_by)?;
        }
        LadderFinding::GivesAway { min_quantity } => {
            dict.set_item("kind", "gives_away")?;
            dict.set_item("min_quantity", min_quantity)?;
        }
    }
    dict.set_item("message", finding.to_string())?;
    Ok(dict)
}

/// A ladder's findings as a list of dicts.
pub(crate) fn findings<'py>(
    py: Python<'py>,
    findings: &[LadderFinding],
) -> PyResult<Bound<'py, PyList>> {
    let items = findings
        .iter()
        .map(|f| finding(py, f))
        .collect::<PyResult<Vec<_>>>()?;
    PyList::new(py, items)
}

/// A whole audit as a dict: `products`, `coupons`, `tax_rounding`, `clean`.
pub(crate) fn audit<'py>(py: Python<'py>, audit: &PricingAudit) -> PyResult<Bound<'py, PyDict>> {
    let dict = PyDict::new(py);
    let products = PyList::empty(py);
    for product in &audit.products {
        let entry = PyDict::new(py);
        entry.set_item("product_id", product.product.get())?;
        entry.set_item("findings", findings(py, &product.findings)?)?;
        products.append(entry)?;
    }
    let coupons = PyList::empty(py);
    for coupon in &audit.coupons {
        let entry = PyDict::new(py);
        entry.set_item("code", coupon.code.as_str())?;
        entry.set_item("product_id", coupon.product.get())?;
        entry.set_item("quantity", coupon.quantity)?;
        entry.set_item("subtotal", coupon.subtotal.amount())?;
        entry.set_item("message", coupon.to_string())?;
        coupons.append(entry)?;
    }
    let spreads = PyList::empty(py);
    for spread in &audit.tax_rounding {
        let entry = PyDict::new(py);
        entry.set_item("region", spread.region.as_str())?;
        entry.set_item("tax_rate", spread.rate.value())?;
        let lines = PyList::empty(py);
        for (product, quantity) in &spread.lines {
            let line = PyDict::new(py);
            line.set_item("product_id", product.get())?;
            line.set_item("quantity", quantity)?;
            lines.append(line)?;
        }
        entry.set_item("lines", lines)?;
        entry.set_item("per_line_tax", spread.per_line.amount())?;
        entry.set_item("per_order_tax", spread.per_order.amount())?;
        entry.set_item("difference", spread.difference())?;
        spreads.append(entry)?;
    }
    dict.set_item("products", products)?;
    dict.set_item("coupons", coupons)?;
    dict.set_item("tax_rounding", spreads)?;
    dict.set_item("clean", audit.is_clean())?;
    Ok(dict)
}
