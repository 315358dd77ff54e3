//! # shopcore-py
//!
//! The PyO3 extension `shopcore._core`, re-exported by the typed Python
//! package `shopcore` (`bindings/python/python/shopcore`). It only converts
//! and delegates: every rule lives in the `shopcore` crate.
//!
//! ## Layout
//! - `engine`: `Engine`, the use cases over an in-memory or MySQL store;
//! - `records`: the typed result objects with `to_dict()`;
//! - `admin`: catalog administration's arguments and records;
//! - `args`: argument conversion and shape validation at the edge;
//! - `errors`: the single mapping of error categories to Python exceptions.

mod admin;
mod args;
mod engine;
mod errors;
mod records;

use pyo3::prelude::*;
use pyo3::types::PyList;
use shopcore::{
    Catalog, PricingPolicy, PricingRule, Product, ProductId, Quantity, RoundingMode, RuleBook,
    TaxRounding,
};

use crate::args::{integer, invalid, money, percent};
use crate::errors::IntoPyResult;

fn list<'py>(value: &Bound<'py, PyAny>, field: &str) -> PyResult<Vec<Bound<'py, PyAny>>> {
    value
        .cast::<PyList>()
        .map(|l| l.iter().collect())
        .map_err(|_| invalid(format!("{field} must be a list")))
}

fn pair<'py>(
    item: &Bound<'py, PyAny>,
    field: &str,
    arity: usize,
) -> PyResult<Vec<Bound<'py, PyAny>>> {
    let items: Vec<Bound<'py, PyAny>> = item
        .cast::<pyo3::types::PyTuple>()
        .map(|t| t.iter().collect())
        .map_err(|_| invalid(format!("each of {field} must be a tuple")))?;
    if items.len() != arity {
        return Err(invalid(format!("each of {field} must have {arity} items")));
    }
    Ok(items)
}

fn policy(rounding: &str, tax_rounding: &str) -> PyResult<PricingPolicy> {
    Ok(PricingPolicy {
        rounding: match rounding {
            "half_up" => RoundingMode::HalfUp,
            "half_even" => RoundingMode::HalfEven,
            other => return Err(invalid(format!("unknown rounding {other:?}"))),
        },
        tax_rounding: match tax_rounding {
            "per_order" => TaxRounding::PerOrder,
            "per_line" => TaxRounding::PerLine,
            other => return Err(invalid(format!("unknown tax_rounding {other:?}"))),
        },
    })
}

/// Prices and tiers held in Rust, converted once, for quoting many carts
/// without a store (property tests, what-if pricing).
#[pyclass(frozen, module = "shopcore._core")]
struct PriceList {
    catalog: Catalog,
    rules: RuleBook,
}

#[pymethods]
impl PriceList {
    /// `products` is a list of `(product_id, unit_price)`, `rules` of
    /// `(product_id, min_quantity, discount_percent)`.
    #[new]
    #[pyo3(signature = (*, products, rules))]
    fn new(products: &Bound<'_, PyAny>, rules: &Bound<'_, PyAny>) -> PyResult<Self> {
        let mut catalog = Catalog::default();
        for item in list(products, "products")? {
            let fields = pair(&item, "products", 2)?;
            catalog.insert(Product {
                id: ProductId::new(integer(&fields[0], "product_id")?).py_result()?,
                name: String::new(),
                quantity_available: 0,
                unit_price: money(&fields[1], "unit_price")?,
                last_updated: chrono::DateTime::UNIX_EPOCH,
                retired: false,
            });
        }
        let mut book = RuleBook::default();
        for item in list(rules, "rules")? {
            let fields = pair(&item, "rules", 3)?;
            book.insert(PricingRule {
                product_id: ProductId::new(integer(&fields[0], "product_id")?).py_result()?,
                min_quantity: Quantity::new(integer(&fields[1], "min_quantity")?).py_result()?,
                discount: percent(&fields[2], "discount")?,
            });
        }
        Ok(PriceList {
            catalog,
            rules: book,
        })
    }

    /// Prices `lines` (`(product_id, quantity)` or `{"product_id", "quantity"}`).
    #[pyo3(signature = (lines, *, tax_rate, rounding = "half_up", tax_rounding = "per_order"))]
    fn quote(
        &self,
        py: Python<'_>,
        lines: &Bound<'_, PyAny>,
        tax_rate: &Bound<'_, PyAny>,
        rounding: &str,
        tax_rounding: &str,
    ) -> PyResult<records::Quote> {
        let cart = args::cart(lines)?;
        let rate = percent(tax_rate, "tax_rate")?;
        let policy = policy(rounding, tax_rounding)?;
        py.detach(|| shopcore::quote(&cart, &self.catalog, &self.rules, rate, &policy))
            .map(records::Quote::from)
            .py_result()
    }
}

/// Prices a cart against an explicit price list, rules and tax rate, without a store.
///
/// `products` is a list of `(product_id, unit_price)`, `rules` of
/// `(product_id, min_quantity, discount_percent)`, `lines` of `(product_id, quantity)`.
/// To quote many carts against one price list, build a `PriceList` once.
#[pyfunction]
#[pyo3(signature = (*, products, rules, lines, tax_rate, rounding = "half_up", tax_rounding = "per_order"))]
fn quote(
    py: Python<'_>,
    products: &Bound<'_, PyAny>,
    rules: &Bound<'_, PyAny>,
    lines: &Bound<'_, PyAny>,
    tax_rate: &Bound<'_, PyAny>,
    rounding: &str,
    tax_rounding: &str,
) -> PyResult<records::Quote> {
    PriceList::new(products, rules)?.quote(py, lines, tax_rate, rounding, tax_rounding)
}

/// The `shopcore._core` module.
#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<engine::Engine>()?;
    module.add_class::<records::Product>()?;
    module.add_class::<records::Customer>()?;
    module.add_class::<records::Quote>()?;
    module.add_class::<records::QuoteLine>()?;
    module.add_class::<records::Order>()?;
    module.add_class::<records::OrderItem>()?;
    module.add_class::<records::Notification>()?;
    module.add_class::<records::PlacedOrder>()?;
    module.add_class::<records::CancelledOrder>()?;
    module.add_class::<records::Session>()?;
    module.add_class::<records::Actor>()?;
    module.add_class::<records::StaffKey>()?;
    module.add_class::<records::IssuedStaffKey>()?;
    module.add_class::<admin::TierRung>()?;
    module.add_class::<admin::TaxRate>()?;
    module.add_class::<admin::CatalogChange>()?;
    module.add_class::<PriceList>()?;
    module.add_function(wrap_pyfunction!(quote, module)?)?;
    let codes: Vec<(&str, &str)> = shopcore::ErrorKind::ALL
        .iter()
        .map(|k| (k.code(), k.category().as_str()))
        .collect();
    module.add("ERROR_CODES", codes)?;
    Ok(())
}
