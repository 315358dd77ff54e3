//! `shopcore.Engine`: one store (in-memory, SQLite or MySQL) and the runtime that drives it.
//!
//! Every method converts its arguments, releases the GIL, runs the use case on
//! the store, and converts the result back. No business rule lives here, and
//! every time a use case needs is the store's clock (`OrderWorkflow::now`).
//!
//! The methods are split by area into several `#[pymethods]` blocks (pyo3's
//! `multiple-pymethods`); Python sees one class:
//! - this module: the struct, the constructors, the getters and the shared
//!   argument helpers;
//! - `orders`: quote, checkout, cancel and reading orders;
//! - `catalog`: products, tier ladders, tax regions, stock, the change log;
//! - `pricing`: coupons, the live price list, the pricing auditor;
//! - `settlement`: after the order: payments (record, capture, void) and shipments;
//! - `returns`: returns (created, received, rejected, listed) and goodwill refunds
//!   (partial cancels are `cancel` in `orders`);
//! - `customers`: registration, login and sessions, passwords, profiles, points;
//! - `access`: authentication, authorization, staff keys;
//! - `notifications`: the notification log, deliveries, webhooks, the dispatcher;
//! - `operations`: readiness, the books-balance audit, metrics, closing.

mod access;
mod catalog;
mod customers;
mod notifications;
mod operations;
mod orders;
mod pricing;
mod returns;
mod settlement;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::{
    seed, CustomerId, OrderId, PageLimit, ProductId, ShopConfig, Store, ThrottlePolicy, Throttled,
};
use shopcore_memory::MemoryStore;
use shopcore_mysql::{MySqlStore, PoolSettings};
use shopcore_sqlite::{SqliteSettings, SqliteStore};
use tokio::runtime::Runtime;

use crate::args::{integer, invalid};
use crate::config::{checked_session_hours, PyShopConfig};
use crate::errors::IntoPyResult;
use crate::password_pool::BlockingPasswordPool;

/// The order-management engine: every shopcore use case over one store.
#[pyclass(frozen, weakref, module = "shopcore._core")]
pub struct Engine {
    store: Arc<dyn Store>,
    /// The same store by its kind: what `close` closes, what `backup` copies.
    database: Database,
    /// The throttles' limits; their counts are kept in the store.
    throttle: ThrottlePolicy,
    /// Where Argon2 runs: never on the runtime's two async workers.
    passwords: Arc<BlockingPasswordPool>,
    runtime: Arc<Runtime>,
}

/// The store of an [`Engine`] by its kind, for what only some stores do.
enum Database {
    Memory,
    MySql(Arc<MySqlStore>),
    Sqlite(Arc<SqliteStore>),
}

impl Database {
    /// The name Python sees as `Engine.backend`.
    fn name(&self) -> &'static str {
        match self {
            Database::Memory => "memory",
            Database::MySql(_) => "mysql",
            Database::Sqlite(_) => "sqlite",
        }
    }
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
    /// An engine on an in-memory store (`in_memory`'s, or in the tests one
    /// with a fixed clock).
    fn over_memory(store: MemoryStore) -> PyResult<Engine> {
        Ok(Engine::over(Arc::new(store), Database::Memory, runtime()?))
    }

    /// An engine on `store`, which `database` names by its kind.
    fn over(store: Arc<dyn Store>, database: Database, runtime: Runtime) -> Engine {
        Engine {
            store,
            database,
            throttle: ThrottlePolicy::default(),
            passwords: Arc::new(BlockingPasswordPool::for_this_machine()),
            runtime: Arc::new(runtime),
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
        (None, None) => Ok(ShopConfig::default()),
        (None, Some(hours)) => Ok(ShopConfig {
            session_hours: checked_session_hours(hours)?,
            ..ShopConfig::default()
        }),
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
        Engine::over_memory(store)
    }

    /// An engine on MySQL/MariaDB at `url` (`mysql://user:pass@host:port/db`).
    ///
    /// Runs the migrations unless `migrate=False`; loads the seed data only with
    /// `seed=True`; the shop's policies come from `config` (a `ShopConfig`;
    /// default: the seed shop's), or only the session length from `session_hours`.
    ///
    /// A statement taking at least `slow_sql_ms` milliseconds (default 1000) is
    /// logged at WARNING to the Python logger `sqlx.query`. A write that meets
    /// deadlocks or lock waits reruns twice, then for as long as
    /// `retry_budget_ms` milliseconds allow (default 5000, counted from the
    /// call's start), then raises `storage_unavailable`.
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
        Ok(Engine::over(
            Arc::clone(&store) as Arc<dyn Store>,
            Database::MySql(store),
            runtime,
        ))
    }

    /// An engine on the SQLite database file at `path` (a `str` or a path),
    /// created if it does not exist (its directory must) unless
    /// `create=False`. One file serves one host: every process on it (the
    /// services' workers, a dispatcher, the CLI) may use it at once.
    ///
    /// Runs the migrations unless `migrate=False` (a file written by a newer
    /// shopcore is refused before anything is written); loads the seed data
    /// only with `seed=True` (rows already there are kept, so seeding twice is
    /// harmless); the shop's policies come from `config` (a `ShopConfig`;
    /// default: the seed shop's), or only the session length from
    /// `session_hours`.
    ///
    /// The file is in WAL mode with `synchronous = FULL`: an order is on disk
    /// before `checkout` returns, so it survives the process being killed and
    /// the machine losing power. A write that finds the database busy
    /// (another process writing) reruns for as long as `retry_budget_ms`
    /// milliseconds allow (default 10000), then raises `storage_unavailable`.
    ///
    /// A path that cannot be used (its directory missing, a directory, a file
    /// that is not a database, a read-only file) raises `StorageError` naming it.
    #[staticmethod]
    #[allow(clippy::too_many_arguments)] // keyword-only options of one constructor
    #[pyo3(signature = (path, *, migrate = true, seed = false, config = None, session_hours = None, max_connections = 8, retry_budget_ms = 10000, create = true))]
    fn sqlite(
        py: Python<'_>,
        path: PathBuf,
        migrate: bool,
        seed: bool,
        config: Option<PyRef<'_, PyShopConfig>>,
        session_hours: Option<u16>,
        max_connections: u32,
        retry_budget_ms: u64,
        create: bool,
    ) -> PyResult<Engine> {
        let config = self::config(config.as_deref(), session_hours)?;
        let runtime = runtime()?;
        let settings = SqliteSettings {
            max_connections: max_connections.max(1),
            retry_budget: std::time::Duration::from_millis(retry_budget_ms),
            create,
            ..SqliteSettings::default()
        };
        let store = py.detach(|| {
            runtime.block_on(async {
                let store = SqliteStore::open_with(&path, config, settings).await?;
                let prepared = async {
                    if migrate {
                        store.migrate().await?;
                    }
                    if seed {
                        store.seed(&seed::demo_data()).await?;
                    }
                    Ok::<_, shopcore::StorageError>(())
                };
                match prepared.await {
                    Ok(()) => Ok(store),
                    Err(failed) => {
                        store.close().await; // no connection left open on a file the caller may remove
                        Err(failed)
                    }
                }
            })
        });
        let store = Arc::new(store.py_result()?);
        Ok(Engine::over(
            Arc::clone(&store) as Arc<dyn Store>,
            Database::Sqlite(store),
            runtime,
        ))
    }

    /// `"memory"`, `"sqlite"` or `"mysql"`.
    #[getter]
    fn backend(&self) -> &'static str {
        self.database.name()
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

    fn __repr__(&self) -> String {
        format!("Engine(backend={:?})", self.database.name())
    }
}
