//! `shopcore.Engine`: one store (in-memory or MySQL) and the runtime that drives it.
//!
//! Every method converts its arguments, releases the GIL, runs the use case on
//! the store, and converts the result back. No business rule lives here.

use std::future::Future;
use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::auth::{login, register};
use shopcore::{
    audit, resend_confirmation, seed, CustomerId, CustomerName, Email, NotificationFilter,
    NotificationKind, Opening, OrderId, Password, Phone, ProductId, ShopConfig, Store,
};
use shopcore_memory::MemoryStore;
use shopcore_mysql::{MySqlStore, PoolSettings};
use tokio::runtime::Runtime;

use crate::args::{self, integer, invalid, text};
use crate::errors::IntoPyResult;
use crate::records::{CancelledOrder, Customer, Notification, Order, PlacedOrder, Product, Quote};

/// The order-management engine: every shopcore use case over one store.
#[pyclass(frozen, module = "shopcore._core")]
pub struct Engine {
    store: Arc<dyn Store>,
    runtime: Arc<Runtime>,
    backend: &'static str,
}

fn runtime() -> PyResult<Runtime> {
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
    /// An engine on the in-memory store, loaded with the seed data unless `seed=False`.
    #[staticmethod]
    #[pyo3(signature = (*, seed = true))]
    fn in_memory(seed: bool) -> PyResult<Engine> {
        let store = if seed {
            MemoryStore::seeded()
        } else {
            MemoryStore::new(ShopConfig::default())
        };
        Ok(Engine {
            store: Arc::new(store),
            runtime: Arc::new(runtime()?),
            backend: "memory",
        })
    }

    /// An engine on MySQL/MariaDB at `url` (`mysql://user:pass@host:port/db`).
    ///
    /// Runs the migrations unless `migrate=False`; loads the seed data only with `seed=True`.
    #[staticmethod]
    #[pyo3(signature = (url, *, migrate = true, seed = false, max_connections = 16))]
    fn mysql(
        py: Python<'_>,
        url: &str,
        migrate: bool,
        seed: bool,
        max_connections: u32,
    ) -> PyResult<Engine> {
        let runtime = runtime()?;
        let settings = PoolSettings {
            max_connections: max_connections.max(1),
            ..PoolSettings::default()
        };
        let store = py.detach(|| {
            runtime.block_on(async {
                let store = MySqlStore::connect_with(url, ShopConfig::default(), settings).await?;
                if migrate {
                    store.migrate().await?;
                }
                if seed {
                    store.seed(&seed::demo_data()).await?;
                }
                Ok::<_, shopcore::StorageError>(store)
            })
        });
        Ok(Engine {
            store: Arc::new(store.py_result()?),
            runtime: Arc::new(runtime),
            backend: "mysql",
        })
    }

    /// `"memory"` or `"mysql"`.
    #[getter]
    fn backend(&self) -> &'static str {
        self.backend
    }

    /// The configured default tax region.
    #[getter]
    fn default_region(&self) -> String {
        self.store.config().default_region.to_string()
    }

    /// Prices a cart with the store's current prices, rules and tax rates.
    #[pyo3(signature = (products, *, region = None))]
    fn quote(
        &self,
        py: Python<'_>,
        products: &Bound<'_, PyAny>,
        region: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Quote> {
        let cart = args::cart(products)?;
        let region = args::region(region)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.quote(&cart, region.as_ref()).await })
            .map(Quote::from)
            .py_result()
    }

    /// Places an order atomically; replays the first order for a repeated `idempotency_key`.
    #[pyo3(signature = (customer_id, products, *, region = None, idempotency_key = None))]
    fn checkout(
        &self,
        py: Python<'_>,
        customer_id: &Bound<'_, PyAny>,
        products: &Bound<'_, PyAny>,
        region: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PlacedOrder> {
        let request = shopcore::CheckoutRequest {
            customer_id: self::customer_id(customer_id)?,
            cart: args::cart(products)?,
            region: args::region(region)?,
        };
        let key = args::idempotency_key(idempotency_key)?;
        let store = Arc::clone(&self.store);
        self.run(
            py,
            async move { store.checkout(&request, key.as_ref()).await },
        )
        .map(PlacedOrder::from)
        .py_result()
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

    /// One product.
    fn product(&self, py: Python<'_>, product_id: &Bound<'_, PyAny>) -> PyResult<Product> {
        let id = self::product_id(product_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.product(id).await })
            .map(Product::from)
            .py_result()
    }

    /// Every product, by id.
    fn products(&self, py: Python<'_>) -> PyResult<Vec<Product>> {
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.products().await })
            .map(|products| products.into_iter().map(Product::from).collect())
            .py_result()
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

    /// Registers a customer; the password is hashed with Argon2id inside the engine.
    #[pyo3(signature = (*, name, email, password, phone = None))]
    fn register(
        &self,
        py: Python<'_>,
        name: &Bound<'_, PyAny>,
        email: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
        phone: Option<&Bound<'_, PyAny>>,
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
        self.run(py, async move {
            register(&*store, name, email, phone, &password).await
        })
        .map(Customer::from)
        .py_result()
    }

    /// The customer with this email and password; `AuthenticationError` otherwise.
    #[pyo3(signature = (*, email, password))]
    fn login(
        &self,
        py: Python<'_>,
        email: &Bound<'_, PyAny>,
        password: &Bound<'_, PyAny>,
    ) -> PyResult<Customer> {
        let email = text(email, "email")?;
        let password = text(password, "password")?;
        // Malformed input is reported like a wrong password: no hint which one failed.
        let (Ok(email), Ok(password)) = (Email::parse(&email), Password::parse(&password)) else {
            return Err(crate::errors::to_py_err(
                shopcore::LoginError::InvalidCredentials,
            ));
        };
        let store = Arc::clone(&self.store);
        self.run(py, async move { login(&*store, &email, &password).await })
            .map(Customer::from)
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

    /// The books-balance audit (`shopcore::audit`) of this store from the given
    /// opening balances (`{product_id: stock}`, `{customer_id: points}`; absent
    /// ones start at 0): every discrepancy as a sentence, empty when the books balance.
    #[pyo3(signature = (*, opening_stock, opening_points))]
    fn audit(
        &self,
        py: Python<'_>,
        opening_stock: std::collections::BTreeMap<i64, u32>,
        opening_points: std::collections::BTreeMap<i64, u64>,
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

    fn __repr__(&self) -> String {
        format!("Engine(backend={:?})", self.backend)
    }
}
