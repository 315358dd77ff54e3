//! `shopcore.Engine`: one store (in-memory or MySQL) and the runtime that drives it.
//!
//! Every method converts its arguments, releases the GIL, runs the use case on
//! the store, and converts the result back. No business rule lives here.

use std::future::Future;
use std::sync::Arc;

use chrono::Utc;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use shopcore::auth;
use shopcore::{
    audit, authorize, resend_confirmation, seed, AccessToken, Action, CustomerId, CustomerName,
    Email, NotificationFilter, NotificationKind, Opening, OrderId, Password, Phone, ProductId,
    ShopConfig, StaffKeyId, StaffKeyName, StaffRole, Store, ThrottlePolicy, Throttled,
};
use shopcore::{plan_webhook, DeliveryStatus, HostAllowlist, NotificationId, WebhookId};
use shopcore::{
    Administered, CatalogCommand, CatalogError, ChangeId, PageLimit, ProductName, Region,
};
use shopcore_memory::MemoryStore;
use shopcore_mysql::{MySqlStore, PoolSettings};
use tokio::runtime::Runtime;

use crate::admin::{optional_actor, CatalogChange, TaxRate, TierRung};
use crate::args::{self, integer, invalid, text};
use crate::config::{checked_session_hours, PyShopConfig};
use crate::errors::IntoPyResult;
use crate::outbox::{
    CreatedWebhook, Delivery, DispatchArgs, DispatchReport, Dispatcher, WebhookEndpoint,
};
use crate::password_pool::BlockingPasswordPool;
use crate::records::{
    Actor, CancelledOrder, Customer, IssuedStaffKey, Notification, Order, PlacedOrder, Product,
    Quote, Session, StaffKey,
};

/// The order-management engine: every shopcore use case over one store.
#[pyclass(frozen, weakref, module = "shopcore._core")]
pub struct Engine {
    store: Arc<dyn Store>,
    /// The same store when it is MySQL: what `close` closes.
    mysql: Option<Arc<MySqlStore>>,
    /// The throttles' limits; their counts are kept in the store.
    throttle: ThrottlePolicy,
    /// Where Argon2 runs: never on the runtime's two async workers.
    passwords: Arc<BlockingPasswordPool>,
    runtime: Arc<Runtime>,
    backend: &'static str,
}

/// The runtime every Engine method runs on: two async workers shared by all
/// requests (password work goes to [`BlockingPasswordPool`] instead).
pub(crate) fn runtime() -> PyResult<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .thread_name("shopcore")
        .enable_all()
        .build()
        .map_err(|e| {
            pyo3::exceptions::PyRuntimeError::new_err(format!("cannot start runtime: {e}"))
        })
}

impl Engine {
    /// Runs `work` as a task on the runtime and waits for it with the GIL
    /// released. As a spawned task it is polled on the worker thread that sees
    /// its socket become ready, instead of waking this thread for every round
    /// trip to the database.
    fn run<T, F>(&self, py: Python<'_>, work: F) -> T
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let task = self.runtime.spawn(work);
        match py.detach(|| self.runtime.block_on(task)) {
            Ok(done) => done,
            Err(failed) => std::panic::resume_unwind(failed.into_panic()),
        }
    }
}

impl Engine {
    fn administer(
        &self,
        py: Python<'_>,
        actor: shopcore::Actor,
        command: CatalogCommand,
    ) -> PyResult<Administered> {
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.administer(&actor, &command).await })
            .py_result()
    }

    fn administer_product(
        &self,
        py: Python<'_>,
        actor: shopcore::Actor,
        command: CatalogCommand,
    ) -> PyResult<Product> {
        match self.administer(py, actor, command)? {
            Administered::Product(product) => Ok(Product::from(product)),
            other => Err(unexpected(&other)),
        }
    }
}

/// An optional argument that was given (not `None`).
fn present<'a, 'py>(value: Option<&'a Bound<'py, PyAny>>) -> Option<&'a Bound<'py, PyAny>> {
    value.filter(|v| !v.is_none())
}

/// An optional `limit=` (1–500, default 100).
fn page_limit(limit: Option<&Bound<'_, PyAny>>) -> PyResult<PageLimit> {
    Ok(limit
        .filter(|l| !l.is_none())
        .map(|l| PageLimit::new(integer(l, "limit")?).py_result())
        .transpose()?
        .unwrap_or_default())
}

/// A store answered a command with another kind of subject (a bug).
fn unexpected(outcome: &Administered) -> PyErr {
    pyo3::exceptions::PyRuntimeError::new_err(format!("unexpected outcome {outcome:?}"))
}

/// A login error as a Python exception; a throttled one carries `retry_after`.
fn login_error(error: shopcore::LoginError) -> PyErr {
    match error {
        shopcore::LoginError::TooManyAttempts {
            retry_after_seconds,
        } => crate::errors::with_attribute(error, Some(("retry_after", retry_after_seconds))),
        other => crate::errors::to_py_err(other),
    }
}

/// A throttled use case's error as a Python exception; `too_many_attempts`
/// carries `retry_after`.
fn throttled_error<E: shopcore::ErrorCode>(error: Throttled<E>) -> PyErr {
    match error.retry_after_seconds() {
        Some(seconds) => crate::errors::with_attribute(error, Some(("retry_after", seconds))),
        None => crate::errors::to_py_err(error),
    }
}

/// The shop's configuration from `config=` (default: the seed shop's), with
/// `session_hours` (the older keyword) applied when given alone.
fn config(config: Option<&PyShopConfig>, session_hours: Option<u16>) -> PyResult<ShopConfig> {
    match (config, session_hours) {
        (Some(_), Some(_)) => Err(invalid(
            "give session_hours inside config=ShopConfig(...), not beside it",
        )),
        (Some(config), None) => Ok(config.inner.clone()),
        (None, hours) => Ok(ShopConfig {
            session_hours: checked_session_hours(hours.unwrap_or(24))?,
            ..ShopConfig::default()
        }),
    }
}

/// The rounding and point value a store prices with.
fn store_policy(store: &dyn Store) -> (shopcore::PricingPolicy, shopcore::PointValue) {
    let config = store.config();
    (config.pricing, config.point_value)
}

fn customer_id(value: &Bound<'_, PyAny>) -> PyResult<CustomerId> {
    CustomerId::new(integer(value, "customer_id")?).py_result()
}

fn order_id(value: &Bound<'_, PyAny>) -> PyResult<OrderId> {
    OrderId::new(integer(value, "order_id")?).py_result()
}

fn product_id(value: &Bound<'_, PyAny>) -> PyResult<ProductId> {
    ProductId::new(integer(value, "product_id")?).py_result()
}

#[pymethods]
impl Engine {
    /// An engine on the in-memory store, loaded with the seed data unless
    /// `seed=False`, with the shop's policies from `config` (a `ShopConfig`;
    /// default: the seed shop's). `session_hours` alone is the older way to
    /// set the session length.
    #[staticmethod]
    #[pyo3(signature = (*, seed = true, config = None, session_hours = None))]
    fn in_memory(
        seed: bool,
        config: Option<PyRef<'_, PyShopConfig>>,
        session_hours: Option<u16>,
    ) -> PyResult<Engine> {
        let config = self::config(config.as_deref(), session_hours)?;
        let store = if seed {
            MemoryStore::from_seed(config, seed::demo_data())
        } else {
            MemoryStore::new(config)
        };
        Ok(Engine {
            store: Arc::new(store),
            mysql: None,
            throttle: ThrottlePolicy::default(),
            passwords: Arc::new(BlockingPasswordPool::for_this_machine()),
            runtime: Arc::new(runtime()?),
            backend: "memory",
        })
    }

    /// An engine on MySQL/MariaDB at `url` (`mysql://user:pass@host:port/db`).
    ///
    /// Runs the migrations unless `migrate=False`; loads the seed data only with
    /// `seed=True`; the shop's policies come from `config` (a `ShopConfig`;
    /// default: the seed shop's), or only the session length from `session_hours`.
    ///
    /// A statement taking at least `slow_sql_ms` milliseconds (default 1000) is
    /// logged at WARNING to the Python logger `sqlx.query`. A write that meets
    /// deadlocks or lock waits reruns for up to `retry_budget_ms` milliseconds
    /// (default 5000), then raises `storage_unavailable`.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)] // keyword-only options of one constructor
    #[pyo3(signature = (url, *, migrate = true, seed = false, max_connections = 16, config = None, session_hours = None, slow_sql_ms = 1000, retry_budget_ms = 5000))]
    fn mysql(
        py: Python<'_>,
        url: &str,
        migrate: bool,
        seed: bool,
        max_connections: u32,
        config: Option<PyRef<'_, PyShopConfig>>,
        session_hours: Option<u16>,
        slow_sql_ms: u64,
        retry_budget_ms: u64,
    ) -> PyResult<Engine> {
        let config = self::config(config.as_deref(), session_hours)?;
        let runtime = runtime()?;
        let settings = PoolSettings {
            max_connections: max_connections.max(1),
            slow_statement: std::time::Duration::from_millis(slow_sql_ms),
            retry_budget: std::time::Duration::from_millis(retry_budget_ms),
            ..PoolSettings::default()
        };
        let store = py.detach(|| {
            runtime.block_on(async {
                let store = MySqlStore::connect_with(url, config, settings).await?;
                if migrate {
                    store.migrate().await?;
                }
                if seed {
                    store.seed(&seed::demo_data()).await?;
                }
                Ok::<_, shopcore::StorageError>(store)
            })
        });
        let store = Arc::new(store.py_result()?);
        Ok(Engine {
            store: Arc::clone(&store) as Arc<dyn Store>,
            mysql: Some(store),
            throttle: ThrottlePolicy::default(),
            passwords: Arc::new(BlockingPasswordPool::for_this_machine()),
            runtime: Arc::new(runtime),
            backend: "mysql",
        })
    }

    /// `"memory"` or `"mysql"`.
    #[getter]
    fn backend(&self) -> &'static str {
        self.backend
    }

    /// How many password hashes or verifications run at once (the rest
    /// queue without holding a thread): the machine's cores less one, at least 1.
    #[getter]
    fn password_work_limit(&self) -> usize {
        self.passwords.limit()
    }

    /// The configured default tax region.
    #[getter]
    fn default_region(&self) -> String {
        self.store.config().default_region.to_string()
    }

    /// The shop's policies this engine runs with.
    #[getter]
    fn config(&self) -> PyShopConfig {
        PyShopConfig {
            inner: self.store.config().clone(),
        }
    }

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
            customer_id: present(customer_id).map(self::customer_id).transpose()?,
            redeem_points: crate::coupons::points(redeem_points)?,
        };
        let store = Arc::clone(&self.store);
        let policy = self.throttle;
        let client = client.map(str::to_owned);
        self.run(py, async move {
            shopcore::quote_throttled(&*store, &policy, &request, client.as_deref(), Utc::now())
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
            customer_id: self::customer_id(customer_id)?,
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
                Utc::now(),
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

    /// Cancels a `created` order: restock, revoke points, log a notice.
    fn cancel(&self, py: Python<'_>, order_id: &Bound<'_, PyAny>) -> PyResult<CancelledOrder> {
        let id = self::order_id(order_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.cancel(id).await })
            .map(CancelledOrder::from)
            .py_result()
    }

    /// One order with its items.
    fn order(&self, py: Python<'_>, order_id: &Bound<'_, PyAny>) -> PyResult<Order> {
        let id = self::order_id(order_id)?;
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
        let id = self::customer_id(customer_id)?;
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
            customer_id: present(customer_id).map(self::customer_id).transpose()?,
            status: args::optional_text(status, "status")?
                .map(|s| {
                    shopcore::OrderStatus::parse(&s)
                        .ok_or_else(|| invalid("status must be 'created' or 'cancelled'"))
                })
                .transpose()?,
        };
        let before = present(before).map(self::order_id).transpose()?;
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

    /// Products by id: at most `limit` (1–500, default 100) after the product
    /// `after`, retired ones only with `include_retired=True`, and the `after`
    /// of the next page (`None` on the last).
    #[pyo3(signature = (*, after = None, limit = None, include_retired = false))]
    fn product_page(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
        include_retired: bool,
    ) -> PyResult<(Vec<Product>, Option<i64>)> {
        let after = present(after).map(self::product_id).transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move {
                store.product_page(after, limit, include_retired).await
            })
            .py_result()?;
        let items = page.items.into_iter().map(Product::from).collect();
        Ok((items, page.next.map(ProductId::get)))
    }

    /// One product.
    fn product(&self, py: Python<'_>, product_id: &Bound<'_, PyAny>) -> PyResult<Product> {
        let id = self::product_id(product_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.product(id).await })
            .map(Product::from)
            .py_result()
    }

    /// Every product, by id; retired ones only with `include_retired=True`.
    #[pyo3(signature = (*, include_retired = false))]
    fn products(&self, py: Python<'_>, include_retired: bool) -> PyResult<Vec<Product>> {
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.products().await })
            .map(|products| {
                products
                    .into_iter()
                    .filter(|p| include_retired || !p.retired)
                    .map(Product::from)
                    .collect()
            })
            .py_result()
    }

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
    fn price_list(&self, py: Python<'_>) -> PyResult<crate::PriceList> {
        let store = Arc::clone(&self.store);
        let list = self
            .run(py, async move { shopcore::price_list(&*store).await })
            .py_result()?;
        Ok(crate::PriceList::from_store(
            list,
            store_policy(&*self.store),
        ))
    }

    /// The pricing auditor over the store's live price list (a dict: see
    /// `shopcore.audit_pricing`).
    fn audit_pricing<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, pyo3::types::PyDict>> {
        let store = Arc::clone(&self.store);
        let list = self
            .run(py, async move { shopcore::price_list(&*store).await })
            .py_result()?;
        let audit = shopcore::audit_pricing(&list, &self.store.config().pricing);
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
        let id = self::product_id(product_id)?;
        let ladder = crate::admin::ladder(tiers)?;
        let store = Arc::clone(&self.store);
        let product = self
            .run(py, async move { store.product(id).await })
            .py_result()?;
        let findings = shopcore::audit_ladder(
            product.unit_price,
            &ladder,
            self.store.config().pricing.rounding,
        );
        crate::pricing_audit::findings(py, &findings)
    }

    /// Adds a product (`unit_price` more than 0, `quantity_available` from 0);
    /// the change is logged with `actor` (anonymous without one).
    #[pyo3(signature = (*, product_name, unit_price, quantity_available = None, actor = None))]
    fn create_product(
        &self,
        py: Python<'_>,
        product_name: &Bound<'_, PyAny>,
        unit_price: &Bound<'_, PyAny>,
        quantity_available: Option<&Bound<'_, PyAny>>,
        actor: Option<&Actor>,
    ) -> PyResult<Product> {
        let command = CatalogCommand::CreateProduct {
            name: ProductName::parse(&text(product_name, "product_name")?).py_result()?,
            unit_price: args::money(unit_price, "unit_price")?,
            quantity_available: quantity_available
                .map(crate::admin::stock_level)
                .transpose()?
                .unwrap_or(0),
        };
        self.administer_product(py, optional_actor(actor)?, command)
    }

    /// Renames and/or reprices a product, as one logged change.
    #[pyo3(signature = (product_id, *, product_name = None, unit_price = None, actor = None))]
    fn update_product(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        product_name: Option<&Bound<'_, PyAny>>,
        unit_price: Option<&Bound<'_, PyAny>>,
        actor: Option<&Actor>,
    ) -> PyResult<Product> {
        let command = CatalogCommand::UpdateProduct {
            product: self::product_id(product_id)?,
            name: args::optional_text(product_name, "product_name")?
                .map(|name| ProductName::parse(&name))
                .transpose()
                .py_result()?,
            unit_price: unit_price
                .filter(|price| !price.is_none())
                .map(|price| args::money(price, "unit_price"))
                .transpose()?,
        };
        self.administer_product(py, optional_actor(actor)?, command)
    }

    /// Retires a product: it can no longer be quoted or ordered.
    #[pyo3(signature = (product_id, *, actor = None))]
    fn retire_product(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<Product> {
        let command = CatalogCommand::RetireProduct(self::product_id(product_id)?);
        self.administer_product(py, optional_actor(actor)?, command)
    }

    /// Restores a retired product.
    #[pyo3(signature = (product_id, *, actor = None))]
    fn restore_product(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<Product> {
        let command = CatalogCommand::RestoreProduct(self::product_id(product_id)?);
        self.administer_product(py, optional_actor(actor)?, command)
    }

    /// A product's tier ladder, by ascending minimum quantity.
    fn tier_ladder(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<TierRung>> {
        let id = self::product_id(product_id)?;
        let store = Arc::clone(&self.store);
        let ladder = self
            .run(py, async move {
                store.product(id).await?;
                Ok::<_, CatalogError>(store.pricing_rules(&[id]).await?.ladder(id))
            })
            .py_result()?;
        Ok(crate::admin::rungs(&ladder))
    }

    /// Replaces a product's whole ladder (`[]` clears it), as one logged change.
    #[pyo3(signature = (product_id, tiers, *, actor = None))]
    fn replace_tier_ladder(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        tiers: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<Vec<TierRung>> {
        let command = CatalogCommand::ReplaceLadder {
            product: self::product_id(product_id)?,
            ladder: crate::admin::ladder(tiers)?,
        };
        match self.administer(py, optional_actor(actor)?, command)? {
            Administered::Ladder { ladder, .. } => Ok(crate::admin::rungs(&ladder)),
            other => Err(unexpected(&other)),
        }
    }

    /// Every region's tax rate, by region.
    fn tax_rates(&self, py: Python<'_>) -> PyResult<Vec<TaxRate>> {
        let store = Arc::clone(&self.store);
        let table = self
            .run(py, async move { store.tax_rates().await })
            .py_result()?;
        let mut rates: Vec<TaxRate> = table
            .iter()
            .map(|(region, rate)| TaxRate {
                region: region.as_str().to_owned(),
                tax_rate: rate.value(),
            })
            .collect();
        rates.sort_by(|a, b| a.region.cmp(&b.region));
        Ok(rates)
    }

    /// Sets a region's rate (creating the region if new).
    #[pyo3(signature = (region, tax_rate, *, actor = None))]
    fn set_tax_rate(
        &self,
        py: Python<'_>,
        region: &Bound<'_, PyAny>,
        tax_rate: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<TaxRate> {
        let command = CatalogCommand::SetTaxRate {
            region: Region::parse(&text(region, "region")?).py_result()?,
            rate: args::percent(tax_rate, "tax_rate")?,
        };
        match self.administer(py, optional_actor(actor)?, command)? {
            Administered::TaxRate { region, rate } => Ok(TaxRate {
                region: region.as_str().to_owned(),
                tax_rate: rate.value(),
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// Removes a region (never the default one); answers the rate it had.
    #[pyo3(signature = (region, *, actor = None))]
    fn remove_tax_region(
        &self,
        py: Python<'_>,
        region: &Bound<'_, PyAny>,
        actor: Option<&Actor>,
    ) -> PyResult<TaxRate> {
        let command =
            CatalogCommand::RemoveTaxRegion(Region::parse(&text(region, "region")?).py_result()?);
        match self.administer(py, optional_actor(actor)?, command)? {
            Administered::TaxRegionRemoved { region, rate } => Ok(TaxRate {
                region: region.as_str().to_owned(),
                tax_rate: rate.value(),
            }),
            other => Err(unexpected(&other)),
        }
    }

    /// The catalog change log, oldest first: at most `limit` (1–500, default
    /// 100) entries after the entry `after`, and the `after` of the next page
    /// (`None` on the last).
    #[pyo3(signature = (*, after = None, limit = None))]
    fn catalog_changes(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<CatalogChange>, Option<i64>)> {
        let after = after
            .filter(|a| !a.is_none())
            .map(|a| ChangeId::new(integer(a, "after")?).py_result())
            .transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move { store.catalog_changes(after, limit).await })
            .py_result()?;
        let changes = page.items.into_iter().map(CatalogChange::from).collect();
        Ok((changes, page.next.map(ChangeId::get)))
    }

    /// Adds `change` (negative to remove) to a product's stock.
    fn adjust_stock(
        &self,
        py: Python<'_>,
        product_id: &Bound<'_, PyAny>,
        change: &Bound<'_, PyAny>,
    ) -> PyResult<Product> {
        let id = self::product_id(product_id)?;
        let change = integer(change, "stock_change")?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.adjust_stock(id, change).await })
            .map(Product::from)
            .py_result()
    }

    /// Registers a customer; the password is hashed with Argon2id inside the
    /// engine, on its bounded password pool (never on the async workers).
    /// Throttled per `client` address: past the limit (10 in 15 minutes)
    /// `RateLimitedError` (with `retry_after` seconds), and nothing is written.
    #[pyo3(signature = (*, name, email, password, phone = None, client = None))]
    #[allow(clippy::too_many_arguments)]
    fn register(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        email: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        phone: Option<&Bound<'_, PyAny>>,
        client: Option<&str>,
    ) -> PyResult<Customer> {
        let name = CustomerName::parse(&text(name, "name")?).py_result()?;
        let email = Email::parse(&text(email, "email")?).py_result()?;
        let password = Password::parse(&text(password, "password")?).py_result()?;
        let phone = args::optional_text(phone, "phone")?
            .filter(|p| !p.trim().is_empty())
            .map(|p| Phone::parse(&p))
            .transpose()
            .py_result()?;
        let store = Arc::clone(&self.store);
        let policy = self.throttle;
        let passwords = Arc::clone(&self.passwords);
        let client = client.map(str::to_owned);
        self.run(py, async move {
            auth::register_throttled(
                &*store,
                &*passwords,
                &policy,
                name,
                email,
                phone,
                &password,
                client.as_deref(),
                Utc::now(),
            )
            .await
        })
        .map(Customer::from)
        .map_err(throttled_error)
    }

    /// Logs in: the customer with this email and password and a new session
    /// token (shown this once; the store keeps its hash); `AuthenticationError`
    /// otherwise. Throttled in the store, so every process counts together:
    /// `RateLimitedError` (with `retry_after` seconds) after too many failures
    /// for this email from this `client` address, or from this address; past
    /// many failures for the email from anywhere, addresses that failed too
    /// must wait a little between attempts. A correct password from an
    /// address without failures always logs in.
    #[pyo3(signature = (*, email, password, client = None))]
    fn login(
        &self,
        py: Python<'_>,
        email: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        client: Option<&str>,
    ) -> PyResult<Session> {
        let email = text(email, "email")?;
        let password = text(password, "password")?;
        let client = client.map(str::to_owned);
        let store = Arc::clone(&self.store);
        let throttle = self.throttle;
        let passwords = Arc::clone(&self.passwords);
        let lifetime = store.config().session_lifetime();
        let logged_in = self.run(py, async move {
            let now = Utc::now();
            let customer = auth::login_throttled(
                &*store,
                &*passwords,
                &throttle,
                &email,
                &password,
                client.as_deref(),
                now,
            )
            .await?;
            let session = auth::open_session(&*store, customer.id, lifetime, now).await?;
            Ok::<_, shopcore::LoginError>(Session {
                customer: customer.into(),
                token: session.token.expose().to_owned(),
                expires_at: session.expires_at,
            })
        });
        logged_in.map_err(login_error)
    }

    /// Ends the session of `token` (an unknown or ended one is already logged out).
    fn logout(&self, py: Python<'_>, token: &Bound<'_, PyAny>) -> PyResult<()> {
        let token = AccessToken::parse(&text(token, "token")?).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::logout(&*store, &token, Utc::now()).await
        })
        .py_result()
    }

    /// Changes a customer's password after checking the current one; every
    /// other session of theirs ends (`keep_token`, the one asking, stays).
    /// The check is throttled like a login (per email and `client` address).
    #[pyo3(signature = (customer_id, *, current, new, keep_token = None, client = None))]
    fn change_password(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        current: &Bound<'_, PyAny>,
        new: &Bound<'_, PyAny>,
        keep_token: Option<&Bound<'_, PyAny>>,
        client: Option<&str>,
    ) -> PyResult<()> {
        let id = self::customer_id(customer_id)?;
        let current = text(current, "current")?;
        let new = Password::parse(&text(new, "new")?).py_result()?;
        let keep = args::optional_text(keep_token, "keep_token")?
            .map(|t| AccessToken::parse(&t))
            .transpose()
            .py_result()?;
        let client = client.map(str::to_owned);
        let store = Arc::clone(&self.store);
        let throttle = self.throttle;
        let passwords = Arc::clone(&self.passwords);
        let changed = self.run(py, async move {
            auth::change_password(
                &*store,
                &*passwords,
                &throttle,
                id,
                &current,
                &new,
                keep.as_ref(),
                client.as_deref(),
                Utc::now(),
            )
            .await
        });
        changed.map_err(login_error)
    }

    /// Who presents `token` (the bearer of an `Authorization` header; `None`
    /// for none): anonymous, a customer or a staff key; `AuthenticationError`
    /// for a malformed, unknown, expired or revoked one.
    #[pyo3(signature = (token))]
    fn authenticate(&self, py: Python<'_>, token: Option<&Bound<'_, PyAny>>) -> PyResult<Actor> {
        let token = args::optional_text(token, "token")?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::authenticate(&*store, token.as_deref(), Utc::now()).await
        })
        .map(Actor::from)
        .py_result()
    }

    /// Whether `actor` may do `action` (snake_case, e.g. `"read_order"`) about
    /// `customer_id`: returns `None`, or raises `AuthenticationError`
    /// (anonymous) or `ForbiddenError`. The policy is the core's `authorize`.
    #[pyo3(signature = (actor, action, *, customer_id = None))]
    fn authorize(
        &self,
        actor: &Actor,
        action: &str,
        customer_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<()> {
        let customer = customer_id.map(self::customer_id).transpose()?;
        let action = Action::from_name(action, customer)
            .ok_or_else(|| invalid(format!("unknown action {action:?} or its customer missing")))?;
        let actor = crate::admin::domain_actor(actor)?;
        authorize(&actor, &action).py_result()
    }

    /// Creates a staff key; its secret `key` is in the answer this once.
    #[pyo3(signature = (*, name, role))]
    fn create_staff_key(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        role: &Bound<'_, PyAny>,
    ) -> PyResult<IssuedStaffKey> {
        let name = StaffKeyName::parse(&text(name, "name")?).py_result()?;
        let role = StaffRole::parse(&text(role, "role")?).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::create_staff_key(&*store, name, role, Utc::now()).await
        })
        .map(IssuedStaffKey::from)
        .py_result()
    }

    /// Installs a key the operator chose (e.g. `SHOPCORE_ADMIN_KEY`); an
    /// existing live key with that secret is kept. `ValidationError`
    /// `invalid_token` below 128 bits by shopcore's estimate (40+ random hex
    /// characters pass; runs and repeats do not count); `ConflictError`
    /// `staff_key_revoked` if the key was revoked (revoking is final).
    #[pyo3(signature = (key, *, name = "admin (SHOPCORE_ADMIN_KEY)", role = "admin"))]
    fn install_staff_key(
        &self,
        py: Python<'_>,
        key: &Bound<'_, PyAny>,
        name: &str,
        role: &str,
    ) -> PyResult<StaffKey> {
        let secret = AccessToken::parse(&text(key, "key")?).py_result()?;
        let name = StaffKeyName::parse(name).py_result()?;
        let role = StaffRole::parse(role).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::install_staff_key(&*store, name, role, secret, Utc::now()).await
        })
        .map(StaffKey::from)
        .py_result()
    }

    /// Revokes a staff key; it stops working at once.
    fn revoke_staff_key(&self, py: Python<'_>, key_id: &Bound<'_, PyAny>) -> PyResult<StaffKey> {
        let id = StaffKeyId::new(integer(key_id, "key_id")?).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            auth::revoke_staff_key(&*store, id, Utc::now()).await
        })
        .map(StaffKey::from)
        .py_result()
    }

    /// Every staff key (never their secrets), by id.
    fn staff_keys(&self, py: Python<'_>) -> PyResult<Vec<StaffKey>> {
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.staff_keys().await })
            .map(|keys| keys.into_iter().map(StaffKey::from).collect())
            .py_result()
    }

    /// One customer.
    fn customer(&self, py: Python<'_>, customer_id: &Bound<'_, PyAny>) -> PyResult<Customer> {
        let id = self::customer_id(customer_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.customer(id).await })
            .map(Customer::from)
            .py_result()
    }

    /// Adds `change` (negative to take away) to a customer's loyalty points.
    fn adjust_points(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        change: &Bound<'_, PyAny>,
    ) -> PyResult<Customer> {
        let id = self::customer_id(customer_id)?;
        let change = integer(change, "points")?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.adjust_points(id, change).await })
            .map(Customer::from)
            .py_result()
    }

    /// Changes a customer's name, email and/or phone (`clear_phone=True`
    /// removes it); `ConflictError` `email_taken` for another customer's email.
    #[pyo3(signature = (customer_id, *, name = None, email = None, phone = None, clear_phone = false))]
    fn update_profile(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        name: Option<&Bound<'_, PyAny>>,
        email: Option<&Bound<'_, PyAny>>,
        phone: Option<&Bound<'_, PyAny>>,
        clear_phone: bool,
    ) -> PyResult<Customer> {
        let id = self::customer_id(customer_id)?;
        let phone = args::optional_text(phone, "phone")?
            .map(|p| Phone::parse(&p))
            .transpose()
            .py_result()?;
        if clear_phone && phone.is_some() {
            return Err(invalid("give phone or clear_phone, not both"));
        }
        let update = shopcore::ProfileUpdate {
            name: args::optional_text(name, "name")?
                .map(|n| CustomerName::parse(&n))
                .transpose()
                .py_result()?,
            email: args::optional_text(email, "email")?
                .map(|e| Email::parse(&e))
                .transpose()
                .py_result()?,
            phone: if clear_phone {
                Some(None)
            } else {
                phone.map(Some)
            },
        };
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.update_profile(id, &update).await })
            .map(Customer::from)
            .py_result()
    }

    /// Customers by id: at most `limit` (1–500, default 100) after the
    /// customer `after`, and the `after` of the next page (`None` on the last).
    #[pyo3(signature = (*, after = None, limit = None))]
    fn customers(
        &self,
        py: Python<'_>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<Customer>, Option<i64>)> {
        let after = after
            .filter(|a| !a.is_none())
            .map(|a| CustomerId::new(integer(a, "after")?).py_result())
            .transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move { store.customers(after, limit).await })
            .py_result()?;
        let items = page.items.into_iter().map(Customer::from).collect();
        Ok((items, page.next.map(CustomerId::get)))
    }

    /// A dispatcher delivering this store's outbox: email through the plain
    /// SMTP relay `smtp_url` (`smtp://[user:password@]host[:port]`; without
    /// one, emails stay pending) and webhooks to the configured endpoints.
    /// Each send may take `timeout_ms`; a delivery is tried at most
    /// `max_attempts` times, the n-th retry after about `first_retry_ms × 2ⁿ⁻¹`
    /// (half of it random) capped at `max_retry_ms`; a claim is held
    /// `lease_ms` (more than twice the timeout).
    #[pyo3(signature = (*, smtp_url = None, mail_from = None, message_domain = None,
        timeout_ms = None, max_attempts = None, first_retry_ms = None, max_retry_ms = None,
        lease_ms = None))]
    #[allow(clippy::too_many_arguments)]
    fn dispatcher(
        &self,
        smtp_url: Option<String>,
        mail_from: Option<String>,
        message_domain: Option<String>,
        timeout_ms: Option<u64>,
        max_attempts: Option<u32>,
        first_retry_ms: Option<u64>,
        max_retry_ms: Option<u64>,
        lease_ms: Option<u64>,
    ) -> PyResult<Dispatcher> {
        let args = DispatchArgs {
            smtp_url,
            mail_from,
            message_domain,
            timeout_ms,
            max_attempts,
            first_retry_ms,
            max_retry_ms,
            lease_ms,
        };
        Dispatcher::new(Arc::clone(&self.store), Arc::clone(&self.runtime), args)
    }

    /// Claims and delivers up to `limit` due deliveries once, with the default
    /// settings and no email (see `dispatcher` for a configured one).
    #[pyo3(signature = (*, limit = None))]
    fn dispatch_due(&self, py: Python<'_>, limit: Option<u32>) -> PyResult<DispatchReport> {
        let dispatcher = Dispatcher::new(
            Arc::clone(&self.store),
            Arc::clone(&self.runtime),
            DispatchArgs::default(),
        )?;
        dispatcher.dispatch_due(py, limit)
    }

    /// Adds a webhook endpoint receiving `events` (`order.placed`,
    /// `order.cancelled`) at `url` (http or https; when `allowed_hosts` lists
    /// hosts, comma-separated, its host must be one of them), signed with
    /// `secret` (`whsec_` + base64 of 24–64 bytes) or a generated one. The
    /// secret is in the result this once and never again.
    #[pyo3(signature = (url, events, *, secret = None, allowed_hosts = None))]
    fn create_webhook(
        &self,
        py: Python<'_>,
        url: &Bound<'_, PyAny>,
        events: &Bound<'_, PyAny>,
        secret: Option<&Bound<'_, PyAny>>,
        allowed_hosts: Option<&str>,
    ) -> PyResult<CreatedWebhook> {
        let url = text(url, "url")?;
        if events.is_instance_of::<pyo3::types::PyString>() {
            return Err(invalid("events must be a list of event names"));
        }
        let events: Vec<String> = events
            .try_iter()
            .map_err(|_| invalid("events must be a list of event names"))?
            .map(|e| text(&e?, "events"))
            .collect::<PyResult<_>>()?;
        let secret = present(secret).map(|s| text(s, "secret")).transpose()?;
        let allowed = HostAllowlist::parse(allowed_hosts.unwrap_or("")).py_result()?;
        let names: Vec<&str> = events.iter().map(String::as_str).collect();
        let new = plan_webhook(&url, &names, secret.as_deref(), &allowed).py_result()?;
        let shown = new.secret.expose();
        let store = Arc::clone(&self.store);
        let endpoint = self
            .run(
                py,
                async move { store.create_webhook(&new, Utc::now()).await },
            )
            .py_result()?;
        Ok(CreatedWebhook {
            webhook: WebhookEndpoint::from(endpoint),
            secret: shown,
        })
    }

    /// The live webhook endpoints, by id (never their secrets).
    fn webhooks(&self, py: Python<'_>) -> PyResult<Vec<WebhookEndpoint>> {
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.webhooks().await })
            .map(|all| all.into_iter().map(WebhookEndpoint::from).collect())
            .py_result()
    }

    /// Deletes a webhook endpoint; its pending deliveries fail at their next attempt.
    fn delete_webhook(&self, py: Python<'_>, webhook_id: &Bound<'_, PyAny>) -> PyResult<()> {
        let id = WebhookId::new(integer(webhook_id, "webhook_id")?).py_result()?;
        let store = Arc::clone(&self.store);
        self.run(
            py,
            async move { store.delete_webhook(id, Utc::now()).await },
        )
        .py_result()
    }

    /// The deliveries of the notifications `notification_ids`, by notification.
    fn deliveries(
        &self,
        py: Python<'_>,
        notification_ids: Vec<Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Delivery>> {
        let ids = notification_ids
            .iter()
            .map(|id| NotificationId::new(integer(id, "notification_id")?).py_result())
            .collect::<PyResult<Vec<_>>>()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.deliveries(&ids).await })
            .map(|all| all.into_iter().map(Delivery::from).collect())
            .py_result()
    }

    /// Notifications with a delivery in `status` (`pending`, `delivered`,
    /// `failed`), newest first: at most `limit` older than `before`, and the
    /// `before` of the next page.
    #[pyo3(signature = (status, *, before = None, limit = None))]
    fn notifications_by_delivery(
        &self,
        py: Python<'_>,
        status: &Bound<'_, PyAny>,
        before: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<Notification>, Option<i64>)> {
        let status = text(status, "status")?;
        let status = DeliveryStatus::parse(&status).ok_or_else(|| {
            invalid(format!(
                "status must be pending, delivered or failed, not {:?}",
                status.chars().take(40).collect::<String>()
            ))
        })?;
        let before = present(before)
            .map(|b| NotificationId::new(integer(b, "before")?).py_result())
            .transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move {
                store.notifications_by_delivery(status, before, limit).await
            })
            .py_result()?;
        let items = page.items.into_iter().map(Notification::from).collect();
        Ok((items, page.next.map(NotificationId::get)))
    }

    /// Makes the failed deliveries of a notification pending again, due now
    /// with a fresh count of attempts; `ConflictError` `nothing_to_retry` if none failed.
    fn retry_notification(
        &self,
        py: Python<'_>,
        notification_id: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Delivery>> {
        let id = NotificationId::new(integer(notification_id, "notification_id")?).py_result()?;
        let store = Arc::clone(&self.store);
        // The dispatcher's clock (whole seconds): due again at once, not from the next second.
        let now = shopcore::Clock::now(&shopcore::SystemClock);
        self.run(py, async move { store.retry_failed(id, now).await })
            .map(|all| all.into_iter().map(Delivery::from).collect())
            .py_result()
    }

    /// Logs a notification about an existing order to an existing customer.
    #[pyo3(signature = (order_id, customer_id, message, *, kind = "order_confirmation"))]
    fn log_notification(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        customer_id: &Bound<'_, PyAny>,
        message: &Bound<'_, PyAny>,
        kind: &str,
    ) -> PyResult<Notification> {
        let order = self::order_id(order_id)?;
        let customer = self::customer_id(customer_id)?;
        let message = text(message, "message")?;
        let kind = NotificationKind::parse(kind)
            .ok_or_else(|| invalid(format!("unknown notification kind {kind:?}")))?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            store.log_notification(order, customer, kind, message).await
        })
        .map(Notification::from)
        .py_result()
    }

    /// Logs an order's confirmation again (the notification service's `send`).
    fn resend_confirmation(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        customer_id: &Bound<'_, PyAny>,
    ) -> PyResult<Notification> {
        let order = self::order_id(order_id)?;
        let customer = self::customer_id(customer_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            resend_confirmation(&*store, order, customer).await
        })
        .map(Notification::from)
        .py_result()
    }

    /// The notification log, newest first, optionally filtered.
    #[pyo3(signature = (*, order_id = None, customer_id = None))]
    fn notifications(
        &self,
        py: Python<'_>,
        order_id: Option<&Bound<'_, PyAny>>,
        customer_id: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Vec<Notification>> {
        let filter = NotificationFilter {
            order_id: order_id
                .filter(|v| !v.is_none())
                .map(self::order_id)
                .transpose()?,
            customer_id: customer_id
                .filter(|v| !v.is_none())
                .map(self::customer_id)
                .transpose()?,
        };
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.notifications(filter).await })
            .map(|log| log.into_iter().map(Notification::from).collect())
            .py_result()
    }

    /// Notifications newest first, about one order and/or to one customer: at
    /// most `limit` (1–500, default 100) older than the notification `before`,
    /// and the `before` of the next page (`None` on the last).
    #[pyo3(signature = (*, order_id = None, customer_id = None, before = None, limit = None))]
    fn notification_page(
        &self,
        py: Python<'_>,
        order_id: Option<&Bound<'_, PyAny>>,
        customer_id: Option<&Bound<'_, PyAny>>,
        before: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<Notification>, Option<i64>)> {
        let filter = NotificationFilter {
            order_id: present(order_id).map(self::order_id).transpose()?,
            customer_id: present(customer_id).map(self::customer_id).transpose()?,
        };
        let before = present(before)
            .map(|b| shopcore::NotificationId::new(integer(b, "before")?).py_result())
            .transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(py, async move {
                store.notification_page(filter, before, limit).await
            })
            .py_result()?;
        let items = page.items.into_iter().map(Notification::from).collect();
        Ok((items, page.next.map(shopcore::NotificationId::get)))
    }

    /// Raises `StorageError` unless the store answers a trivial query within
    /// `timeout` seconds (default 0.5) and its schema is current: a readiness probe.
    #[pyo3(signature = (*, timeout = 0.5))]
    fn ready(&self, py: Python<'_>, timeout: f64) -> PyResult<()> {
        if !(timeout > 0.0 && timeout <= 60.0) {
            return Err(invalid(
                "timeout must be more than 0 and at most 60 seconds",
            ));
        }
        let timeout = std::time::Duration::from_secs_f64(timeout);
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.ready(timeout).await })
            .py_result()
    }

    /// The books-balance audit (`shopcore::audit`) of this store from the given
    /// opening balances (`{product_id: stock}`, `{customer_id: points}`; absent
    /// ones start at 0): every discrepancy as a sentence, empty when the books balance.
    #[pyo3(signature = (*, opening_stock, opening_points))]
    fn audit(
        &self,
        py: Python<'_>,
        opening_stock: std::collections::BTreeMap<i64, u32>,
        opening_points: std::collections::BTreeMap<i64, i64>,
    ) -> PyResult<Vec<String>> {
        let opening = Opening {
            stock: opening_stock
                .into_iter()
                .map(|(id, level)| Ok((ProductId::new(id).py_result()?, level)))
                .collect::<PyResult<_>>()?,
            points: opening_points
                .into_iter()
                .map(|(id, held)| Ok((CustomerId::new(id).py_result()?, held)))
                .collect::<PyResult<_>>()?,
        };
        let store = Arc::clone(&self.store);
        let books = self
            .run(py, async move { store.books().await })
            .py_result()?;
        Ok(audit(&opening, &books)
            .iter()
            .map(ToString::to_string)
            .collect())
    }

    /// Closes the MySQL pool once the connections in use are returned (a
    /// no-op in memory); every later call fails with `StorageError`
    /// (`storage_unavailable`). For a clean stop, after the last request.
    fn close(&self, py: Python<'_>) {
        if let Some(store) = &self.mysql {
            let store = Arc::clone(store);
            self.run(py, async move { store.close().await });
        }
    }

    /// The store's counters now, as plain numbers: `checkouts_placed`,
    /// `checkouts_replayed`, `checkouts_refused` (`{code: count}`),
    /// `transaction_retries` (`{"deadlock" | "lock_wait" | "certification" | "stale_snapshot": count}`)
    /// and `pool` (`None` in memory; else `max_connections`, `open`, `idle`,
    /// `in_use`, `acquires`, `waits`, `timeouts`, `acquire_seconds`). Counters
    /// only grow, from 0 when the engine was made.
    fn metrics<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let snapshot = self.store.metrics();
        let metrics = PyDict::new(py);
        metrics.set_item("checkouts_placed", snapshot.checkouts_placed)?;
        metrics.set_item("checkouts_replayed", snapshot.checkouts_replayed)?;
        let refused = PyDict::new(py);
        for (kind, count) in &snapshot.checkouts_refused {
            refused.set_item(kind.code(), count)?;
        }
        metrics.set_item("checkouts_refused", refused)?;
        let retries = PyDict::new(py);
        for (cause, count) in snapshot.transaction_retries {
            retries.set_item(cause.label(), count)?;
        }
        metrics.set_item("transaction_retries", retries)?;
        let pool = match snapshot.pool {
            None => None,
            Some(usage) => {
                let pool = PyDict::new(py);
                pool.set_item("max_connections", usage.max_connections)?;
                pool.set_item("open", usage.open)?;
                pool.set_item("idle", usage.idle)?;
                pool.set_item("in_use", usage.in_use())?;
                pool.set_item("acquires", usage.acquires)?;
                pool.set_item("waits", usage.waits)?;
                pool.set_item("timeouts", usage.timeouts)?;
                pool.set_item("acquire_seconds", usage.acquire_time.as_secs_f64())?;
                Some(pool)
            }
        };
        metrics.set_item("pool", pool)?;
        Ok(metrics)
    }

    fn __repr__(&self) -> String {
        format!("Engine(backend={:?})", self.backend)
    }
}
