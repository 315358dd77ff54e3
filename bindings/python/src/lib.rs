//! # shopcore-py
//!
//! The PyO3 extension `shopcore._core`, re-exported by the typed Python
//! package `shopcore` (`bindings/python/python/shopcore`). It only converts
//! and delegates: every rule lives in the `shopcore` crate.
//!
//! ## Layout
//! - `engine`: `Engine`, the use cases over an in-memory or MySQL store, one
//!   `#[pymethods]` block per area (orders, settlement, returns, catalog, pricing,
//!   customers, access, notifications, operations);
//! - `password_pool`: where the Engine runs Argon2 (a bounded blocking pool);
//! - `records`: the typed result objects with `to_dict()`;
//! - `admin`: catalog administration's arguments and records;
//! - `args`: argument conversion and shape validation at the edge;
//! - `config`: `ShopConfig`, the shop's policies for the `Engine` constructors;
//! - `errors`: the single mapping of error categories to Python exceptions.

mod admin;
mod args;
mod config;
mod coupons;
mod engine;
mod errors;
mod log_bridge;
mod outbox;
mod password_pool;
mod pricing_audit;
mod records;

use pyo3::prelude::*;
use pyo3::types::PyList;
use shopcore::{
    Catalog, CouponValue, Deductions, PointValue, PricingPolicy, PricingRule, Product, ProductId,
    ProductName, Quantity, RuleBook, TaxTable,
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
        rounding: config::rounding(rounding)?,
        tax_rounding: config::tax_mode(tax_rounding, "tax_rounding")?,
    })
}

/// Python's `PriceList`: a [`shopcore::PriceList`] held in Rust, converted
/// once, with the rounding and point value to price it by — for quoting many
/// carts without a store (property tests, what-if pricing). Built from
/// explicit lists, or taken from a store by `Engine.price_list()` (then with
/// the store's tax rates, coupons, rounding and point value).
#[pyclass(name = "PriceList", frozen, module = "shopcore._core")]
pub(crate) struct PyPriceList {
    list: shopcore::PriceList,
    policy: PricingPolicy,
    point_value: PointValue,
}

impl PyPriceList {
    /// A store's price list, priced with the store's rounding and point value.
    pub(crate) fn from_store(
        list: shopcore::PriceList,
        (policy, point_value): (PricingPolicy, PointValue),
    ) -> Self {
        PyPriceList {
            list,
            policy,
            point_value,
        }
    }
}

#[pymethods]
impl PyPriceList {
    /// `products` is a list of `(product_id, unit_price)`, `rules` of
    /// `(product_id, min_quantity, discount_percent)`, `tax_rates` of
    /// `(region, percent)`, `coupons` of mappings as `Engine.create_coupon`
    /// takes them: so a hand-built list can be audited like a store's.
    #[new]
    #[pyo3(signature = (*, products, rules, tax_rates = None, coupons = None))]
    fn new(
        products: &Bound<'_, PyAny>,
        rules: &Bound<'_, PyAny>,
        tax_rates: Option<&Bound<'_, PyAny>>,
        coupons: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Self> {
        let mut catalog = Catalog::default();
        for item in list(products, "products")? {
            let fields = pair(&item, "products", 2)?;
            catalog.insert(Product {
                id: ProductId::new(integer(&fields[0], "product_id")?).py_result()?,
                // A price list knows prices, not names.
                name: ProductName::parse("Product").py_result()?,
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
        let mut rates = TaxTable::default();
        for item in tax_rates
            .map(|t| list(t, "tax_rates"))
            .transpose()?
            .unwrap_or_default()
        {
            let fields = pair(&item, "tax_rates", 2)?;
            let region = args::region(Some(&fields[0]))?
                .ok_or_else(|| invalid("each region of tax_rates must be a name"))?;
            rates.set(&region, percent(&fields[1], "tax_rate")?);
        }
        let coupons = coupons
            .map(|c| list(c, "coupons"))
            .transpose()?
            .unwrap_or_default()
            .iter()
            .map(coupons::new_coupon)
            .collect::<PyResult<Vec<_>>>()?;
        Ok(PyPriceList {
            list: shopcore::PriceList {
                catalog,
                rules: book,
                tax_rates: rates,
                coupons,
            },
            policy: PricingPolicy::default(),
            point_value: PointValue::default(),
        })
    }

    /// The ids of the products that can be ordered (not retired), ascending.
    #[getter]
    fn product_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self
            .list
            .catalog
            .iter()
            .filter(|p| !p.retired)
            .map(|p| p.id.get())
            .collect();
        ids.sort_unstable();
        ids
    }

    /// `(product_id, unit_price)` of every product that can be ordered, by id.
    #[getter]
    fn products(&self) -> Vec<(i64, rust_decimal::Decimal)> {
        let mut products: Vec<_> = self
            .list
            .catalog
            .iter()
            .filter(|p| !p.retired)
            .map(|p| (p.id.get(), p.unit_price.amount()))
            .collect();
        products.sort_unstable();
        products
    }

    /// `(product_id, min_quantity, discount_percent)` of every tier, sorted.
    #[getter]
    fn rules(&self) -> Vec<(i64, u32, rust_decimal::Decimal)> {
        let mut rules: Vec<_> = self
            .list
            .rules
            .iter()
            .map(|r| (r.product_id.get(), r.min_quantity.get(), r.discount.value()))
            .collect();
        rules.sort_unstable();
        rules
    }

    /// Each region's tax rate (empty for a list built from explicit lists).
    #[getter]
    fn tax_rates(&self) -> Vec<(String, rust_decimal::Decimal)> {
        let mut rates: Vec<_> = self
            .list
            .tax_rates
            .iter()
            .map(|(region, rate)| (region.to_string(), rate.value()))
            .collect();
        rates.sort_unstable();
        rates
    }

    /// Prices `lines` (`(product_id, quantity)` or `{"product_id", "quantity"}`)
    /// at `tax_rate`, or at the rate of `region` for a store's list. A coupon's
    /// value (`percent_off` or `amount_off`, taken as applying) and
    /// `redeem_points` are applied in the fixed order; rounding defaults to
    /// the list's (the store's, or half-up per order).
    #[pyo3(signature = (lines, *, tax_rate = None, region = None, rounding = None, tax_rounding = None, percent_off = None, amount_off = None, redeem_points = None))]
    #[allow(clippy::too_many_arguments)]
    fn quote(
        &self,
        py: Python<'_>,
        lines: &Bound<'_, PyAny>,
        tax_rate: Option<&Bound<'_, PyAny>>,
        region: Option<&Bound<'_, PyAny>>,
        rounding: Option<&str>,
        tax_rounding: Option<&str>,
        percent_off: Option<&Bound<'_, PyAny>>,
        amount_off: Option<&Bound<'_, PyAny>>,
        redeem_points: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<records::Quote> {
        let cart = args::cart(lines)?;
        let rate = match (tax_rate.filter(|r| !r.is_none()), args::region(region)?) {
            (Some(rate), None) => percent(rate, "tax_rate")?,
            (None, Some(region)) => self
                .list
                .tax_rates
                .rate(&region)
                .ok_or_else(|| shopcore::QuoteError::UnknownTaxRegion(region.clone()))
                .py_result()?,
            _ => return Err(invalid("give exactly one of tax_rate and region")),
        };
        let mut policy = self.policy;
        if let Some(rounding) = rounding {
            policy.rounding = self::policy(rounding, "per_order")?.rounding;
        }
        if let Some(tax_rounding) = tax_rounding {
            policy.tax_rounding = self::policy("half_up", tax_rounding)?.tax_rounding;
        }
        let coupon = match (
            percent_off.filter(|v| !v.is_none()),
            amount_off.filter(|v| !v.is_none()),
        ) {
            (None, None) => None,
            (Some(p), None) => {
                Some(CouponValue::new_percent(percent(p, "percent_off")?).py_result()?)
            }
            (None, Some(a)) => Some(CouponValue::new_amount(money(a, "amount_off")?).py_result()?),
            _ => return Err(invalid("give at most one of percent_off and amount_off")),
        };
        let deductions = Deductions {
            coupon,
            points: coupons::points(redeem_points)?,
            point_value: self.point_value,
        };
        py.detach(|| {
            shopcore::quote_with(
                &cart,
                &self.list.catalog,
                &self.list.rules,
                rate,
                &policy,
                &deductions,
            )
        })
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
    PyPriceList::new(products, rules, None, None)?.quote(
        py,
        lines,
        Some(tax_rate),
        None,
        Some(rounding),
        Some(tax_rounding),
        None,
        None,
        None,
    )
}

/// Audits a price list (`Engine.price_list()`, or one built from lists) as a
/// whole: windows where buying more costs less, tiers that never apply or give
/// goods away, coupons that can make an order free, and per region the largest
/// per-line/per-order tax rounding gap. Returns a dict (see the README).
#[pyfunction]
fn audit_pricing<'py>(
    py: Python<'py>,
    price_list: &PyPriceList,
) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
    let audit = py.detach(|| shopcore::audit_pricing(&price_list.list, &price_list.policy));
    pricing_audit::audit(py, &audit)
}

/// The `shopcore._core` module.
#[pymodule]
fn _core(module: &Bound<'_, PyModule>) -> PyResult<()> {
    // Rust `log` records (e.g. the MySQL adapter's slow statements) go to the
    // Python logger named by their target (`sqlx::query` → `sqlx.query`);
    // levels are read from Python logging once per logger and cached. A
    // second import (another interpreter) keeps the first bridge.
    log_bridge::install(module.py());
    module.add_class::<engine::Engine>()?;
    module.add_class::<config::PyShopConfig>()?;
    module.add_class::<records::Product>()?;
    module.add_class::<records::Customer>()?;
    module.add_class::<records::Quote>()?;
    module.add_class::<records::QuoteLine>()?;
    module.add_class::<records::Order>()?;
    module.add_class::<records::OrderItem>()?;
    module.add_class::<records::Notification>()?;
    module.add_class::<outbox::Delivery>()?;
    module.add_class::<outbox::WebhookEndpoint>()?;
    module.add_class::<outbox::CreatedWebhook>()?;
    module.add_class::<outbox::DispatchReport>()?;
    module.add_class::<outbox::Dispatcher>()?;
    module.add_class::<records::PlacedOrder>()?;
    module.add_class::<records::CancelledOrder>()?;
    module.add_class::<records::Payment>()?;
    module.add_class::<records::Fulfillment>()?;
    module.add_class::<records::FulfillmentLine>()?;
    module.add_class::<records::PaymentOutcome>()?;
    module.add_class::<records::FulfilledOrder>()?;
    module.add_class::<records::ReturnLine>()?;
    module.add_class::<records::Return>()?;
    module.add_class::<records::RefundLine>()?;
    module.add_class::<records::RefundPart>()?;
    module.add_class::<records::Refund>()?;
    module.add_class::<records::ReleasedLine>()?;
    module.add_class::<records::ReturnOutcome>()?;
    module.add_class::<records::Session>()?;
    module.add_class::<records::Actor>()?;
    module.add_class::<records::StaffKey>()?;
    module.add_class::<records::IssuedStaffKey>()?;
    module.add_class::<admin::TierRung>()?;
    module.add_class::<admin::TaxRate>()?;
    module.add_class::<admin::CatalogChange>()?;
    module.add_class::<PyPriceList>()?;
    module.add_class::<coupons::Coupon>()?;
    module.add_function(wrap_pyfunction!(quote, module)?)?;
    module.add_function(wrap_pyfunction!(audit_pricing, module)?)?;
    let codes: Vec<(&str, &str)> = shopcore::ErrorKind::ALL
        .iter()
        .map(|k| (k.code(), k.category().as_str()))
        .collect();
    module.add("ERROR_CODES", codes)?;
    Ok(())
}
