//! Orders: quoting, checking out, cancelling, reading orders.

use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::OrderId;

use super::{page_limit, present, throttled_error, Engine};
use crate::args::{self, invalid};
use crate::errors::IntoPyResult;
use crate::records::{CancelledOrder, Order, PlacedOrder, Quote};

#[pymethods]
impl Engine {
    /// Prices a cart with the store's current prices, rules and tax rates, as
    /// a checkout would: with `coupon_code`, and `redeem_points` of
    /// `customer_id` (whose coupon use and balance count). Nothing is locked
    /// or written, except that failed coupon lookups are counted per `client`
    /// address: past the limit (20 in 15 minutes) a quote with a coupon code
    /// raises `RateLimitedError` (with `retry_after` seconds).
    #[pyo3(signature = (products, *, region = None, coupon_code = None, customer_id = None, redeem_points = None, client = None))]
    #[allow(clippy::too_many_arguments)]
    fn quote(
        &self,
        py: Python<'_>,
        products: &Bound<'_, PyAny>,
        region: Option<&Bound<'_, PyAny>>,
        coupon_code: Option<&Bound<'_, PyAny>>,
        customer_id: Option<&Bound<'_, PyAny>>,
        redeem_points: Option<&Bound<'_, PyAny>>,
        client: Option<&str>,
    ) -> PyResult<Quote> {
        let request = shopcore::QuoteRequest {
            cart: args::cart(products)?,
            region: args::region(region)?,
            coupon: crate::coupons::optional_code(coupon_code)?,
            customer_id: present(customer_id).map(super::customer_id).transpose()?,
            redeem_points: crate::coupons::points(redeem_points)?,
        };
        let store = Arc::clone(&self.store);
        let policy = self.throttle;
        let client = client.map(str::to_owned);
        self.run(py, async move {
            shopcore::quote_throttled(&*store, &policy, &request, client.as_deref(), store.now())
                .await
        })
        .map(Quote::from)
        .map_err(throttled_error)
    }

    /// Places an order atomically; replays the first order for a repeated
    /// `idempotency_key`. With `expected_total`, a checkout whose total is now
    /// different raises `ConflictError` `price_changed` carrying the current
    /// quote as `.quote`, and writes nothing.
    ///
    /// `coupon_code` applies a coupon; `redeem_points` spends the buyer's
    /// points (each worth the configured point value, default 0.01) on what is
    /// left to pay after the coupon. Failed coupon lookups count per `client`
    /// address with the quotes': past the limit (20 in 15 minutes) a checkout
    /// with a coupon code raises `RateLimitedError` and writes nothing.
    #[pyo3(signature = (customer_id, products, *, region = None, idempotency_key = None, expected_total = None, coupon_code = None, redeem_points = None, client = None))]
    #[allow(clippy::too_many_arguments)]
    fn checkout(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        products: &Bound<'_, PyAny>,
        region: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
        expected_total: Option<&Bound<'_, PyAny>>,
        coupon_code: Option<&Bound<'_, PyAny>>,
        redeem_points: Option<&Bound<'_, PyAny>>,
        client: Option<&str>,
    ) -> PyResult<PlacedOrder> {
        let request = shopcore::CheckoutRequest {
            customer_id: super::customer_id(customer_id)?,
            cart: args::cart(products)?,
            region: args::region(region)?,
            expected_total: expected_total
                .filter(|total| !total.is_none())
                .map(|total| args::money(total, "expected_total"))
                .transpose()?,
            coupon: crate::coupons::optional_code(coupon_code)?,
            redeem_points: crate::coupons::points(redeem_points)?,
        };
        let key = args::idempotency_key(idempotency_key)?;
        let store = Arc::clone(&self.store);
        let policy = self.throttle;
        let client = client.map(str::to_owned);
        let placed = self.run(py, async move {
            shopcore::checkout_throttled(
                &*store,
                &policy,
                &request,
                key.as_ref(),
                client.as_deref(),
                store.now(),
            )
            .await
        });
        let refused = match placed {
            Ok(placed) => return Ok(PlacedOrder::from(placed)),
            Err(throttled @ shopcore::Throttled::TooManyAttempts { .. }) => {
                return Err(throttled_error(throttled))
            }
            Err(shopcore::Throttled::Refused(refused)) => refused,
        };
        match refused {
            shopcore::CheckoutError::PriceChanged { expected, quote } => {
                let error = crate::errors::to_py_err(shopcore::CheckoutError::PriceChanged {
                    expected,
                    quote: quote.clone(),
                });
                error
                    .value(py)
                    .setattr("quote", Py::new(py, Quote::from(*quote))?)?;
                Err(error)
            }
            other => Err(crate::errors::to_py_err(other)),
        }
    }

    /// Cancels a `created` order with nothing shipped: restock, revoke
    /// points, void open authorizations, refund what was captured, log a notice.
    ///
    /// With `lines` (as a shipment takes them: `(product_id, quantity)` or
    /// `{"product_id", "quantity"}`), cancels only those units, which must
    /// not have shipped (`cancel_exceeds_unfulfilled`): each takes its exact
    /// share of its line (`cancelled_lines`), what is due falls by as much,
    /// and what was paid beyond what the kept units cost is refunded
    /// (`refund`). Cancelling every remaining unit of an order with nothing
    /// shipped is the whole cancel.
    #[pyo3(signature = (order_id, lines = None))]
    fn cancel(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        lines: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<CancelledOrder> {
        let id = super::order_id(order_id)?;
        let lines = present(lines).map(args::line_quantities).transpose()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            match lines {
                None => store.cancel(id).await,
                Some(lines) => store.cancel_units(id, &lines).await,
            }
        })
        .map(CancelledOrder::from)
        .py_result()
    }

    /// One order with its items.
    fn order(&self, py: Python<'_>, order_id: &Bound<'_, PyAny>) -> PyResult<Order> {
        let id = super::order_id(order_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.order(id).await })
            .map(Order::from)
            .py_result()
    }

    /// A customer's orders, newest first (empty for a customer without orders).
    fn orders_of_customer(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Order>> {
        let id = super::customer_id(customer_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.orders_of_customer(id).await })
            .map(|orders| orders.into_iter().map(Order::from).collect())
            .py_result()
    }

    /// Orders newest first, of one customer and/or with one status: at most
    /// `limit` (1–500, default 100) older than the order `before`, and the
    /// `before` of the next page (`None` on the last).
    #[pyo3(signature = (*, customer_id = None, status = None, before = None, limit = None))]
    fn order_page(
        &self,
        py: Python<'_>,
        customer_id: Option<&Bound<'_, PyAny>>,
        status: Option<&Bound<'_, PyAny>>,
        before: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<Order>, Option<i64>)> {
        let filter = shopcore::OrderFilter {
            customer_id: present(customer_id).map(super::customer_id).transpose()?,
            status: args::optional_text(status, "status")?
                .map(|s| {
                    shopcore::OrderStatus::parse(&s)
                        .ok_or_else(|| invalid("status must be 'created' or 'cancelled'"))
                })
                .transpose()?,
        };
        let before = present(before).map(super::order_id).transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(
                py,
                async move { store.order_page(&filter, before, limit).await },
            )
            .py_result()?;
        let items = page.items.into_iter().map(Order::from).collect();
        Ok((items, page.next.map(OrderId::get)))
    }
}
