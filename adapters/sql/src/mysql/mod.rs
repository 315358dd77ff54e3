//! The MySQL/MariaDB backend, on sqlx. It keeps the
//! original backend's tables and column names (embedded migrations create them
//! on an empty database or upgrade the original schema in place), stores money
//! as `DECIMAL` end to end, and runs every write — checkout, cancel,
//! payments and shipments, partial cancels, returns and refunds, stock and
//! points adjustments, logged notices — as one transaction:
//!
//! 1. for a keyed checkout, claim the idempotency key (a plain `INSERT`);
//! 2. read what the plan needs: a checkout reads its products with their
//!    pricing rules, the region's tax rate and the buyer from one consistent
//!    snapshot (plain reads in two statements: nothing is locked yet, and the
//!    order is priced from one price list that existed at one instant); a
//!    cancel, a partial cancel, a return received or an adjustment locks
//!    the rows it changes in one global order — the `orders` row, the
//!    `inventory` rows in product-id order (`SELECT … FOR UPDATE`), then the
//!    `customers` row; a payment, capture, void, shipment, return request,
//!    rejection or goodwill refund locks only its `orders` row, then reads
//!    the order's records (payments, shipments, releases, returns, refunds);
//! 3. let the pure core plan ([`shopcore::plan_checkout`] and its siblings);
//! 4. apply the plan's effects through the one `apply` (module `apply`):
//!    guarded relative writes that must land on each effect's `after`, the
//!    ledger entries, the notices, the key — a checkout takes its hot rows
//!    last, the cart's stock by one conditional `UPDATE` (rows in id
//!    order), then the points — and commit.
//!
//! A deadlock or lock-wait timeout of any statement, `COMMIT` included, reruns
//! the whole transaction a bounded number of times (then `storage_unavailable`).
//! Any other failure rolls back: no partial order is ever visible. Correctness
//! rests only on InnoDB row locks and transactions, so any number of processes
//! may share one database; on a Galera node every transaction is also guarded
//! against being aborted half-way by another node's write set. Every table is
//! utf8mb4, whatever the server's default.
//!
//! ```no_run
//! # async fn demo() -> Result<(), shopcore::StorageError> {
//! use shopcore::{seed, ShopConfig};
//! use shopcore_sql::mysql::MySqlStore;
//!
//! let store = MySqlStore::connect("mysql://root@127.0.0.1:3306/shop", ShopConfig::default()).await?;
//! store.migrate().await?;                    // create or upgrade the schema
//! store.seed(&seed::demo_data()).await?;     // explicit; never done on start
//! # Ok(()) }
//! ```
//!

mod schema;

use std::str::FromStr;
use std::time::Duration;

use shopcore::{ShopConfig, StorageError};
use sqlx::mysql::{MySqlConnectOptions, MySqlConnection, MySqlPoolOptions};
use sqlx::ConnectOptions as _;

use crate::error::DbError;
use crate::SqlStore;

/// A `shopcore` store on a MySQL or MariaDB database.
pub type MySqlStore = SqlStore<MySqlConnection>;

/// The embedded migrations.
pub(crate) static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/mysql");

/// Pool limits. The defaults suit one service process; several processes
/// sharing a server should keep the sum of `max_connections` below the
/// server's `max_connections`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PoolSettings {
    /// Most open connections (default 16).
    pub max_connections: u32,
    /// How long a request waits for a free connection before `storage_unavailable` (default 5 s).
    pub acquire_timeout: Duration,
    /// How long one call (a checkout, a cancel, any write) may keep rerunning
    /// transactions that lost a lock race — a deadlock, a lock-wait timeout, a
    /// Galera certification conflict — before it answers `storage_unavailable`
    /// (default 5 s). Every call gets two reruns whatever the budget (one
    /// that waited long for a connection, or out one long lock wait, still
    /// reruns a lost race); past those, a rerun starts only if its pause ends
    /// within the budget. The pause before each doubles, from 1–2 ms up to
    /// 32–64 ms, jittered. An attempt already running is never cut short, so
    /// a call can outlast the budget by one attempt (at most one lock wait).
    pub retry_budget: Duration,
    /// The session's `innodb_lock_wait_timeout`, in whole seconds (at least 1);
    /// `None` (the default) keeps the server's (50 s unless configured).
    /// A statement that waits longer for a row lock fails and its transaction
    /// is rerun while the call's `retry_budget` lasts.
    pub lock_wait_timeout: Option<Duration>,
    /// A statement that takes at least this long is logged at `WARN` (target
    /// `sqlx::query`, with its SQL and duration; default 1 s). Every statement
    /// is logged at `DEBUG`. Events go to the `log` facade (and `tracing`).
    pub slow_statement: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        PoolSettings {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            retry_budget: Duration::from_secs(5),
            lock_wait_timeout: None,
            slow_statement: Duration::from_secs(1),
        }
    }
}

impl SqlStore<MySqlConnection> {
    /// Connects with default [`PoolSettings`].
    ///
    /// Fails with `storage_unavailable` if the URL is malformed, the server is
    /// unreachable, or it refuses the credentials or the database.
    pub async fn connect(url: &str, config: ShopConfig) -> Result<Self, StorageError> {
        Self::connect_with(url, config, PoolSettings::default()).await
    }

    /// Connects using the `DATABASE_URL` environment variable
    /// (`mysql://user:pass@host:port/db`).
    pub async fn connect_from_env(config: ShopConfig) -> Result<Self, StorageError> {
        let url = std::env::var("DATABASE_URL")
            .map_err(|_| StorageError::Unavailable("DATABASE_URL is not set".to_owned()))?;
        Self::connect(&url, config).await
    }

    /// Connects with explicit pool settings; refuses (`storage_unavailable`)
    /// a pool larger than the server's `max_connections`.
    pub async fn connect_with(
        url: &str,
        config: ShopConfig,
        settings: PoolSettings,
    ) -> Result<Self, StorageError> {
        let scheme = url.split_once("://").map(|(scheme, _)| scheme);
        if !matches!(scheme, Some("mysql" | "mariadb")) {
            return Err(StorageError::Unavailable(format!(
                "invalid database URL: expected mysql://user:password@host:port/database \
                 (or mariadb://), got {}",
                scheme.map_or_else(|| "no scheme".to_owned(), |s| format!("{s}://…"))
            )));
        }
        let options = MySqlConnectOptions::from_str(url)
            .map_err(|e| StorageError::Unavailable(format!("invalid database URL: {e}")))?
            .log_statements(log::LevelFilter::Debug)
            .log_slow_statements(log::LevelFilter::Warn, settings.slow_statement);
        // One connection first, outside the pool: the pool retries a failed
        // connect until its timeout and then reports only that it timed out,
        // losing why (refused, unknown host, access denied, unknown database).
        let probe = options.connect().await.map_err(|e| {
            let cause = StorageError::from(DbError::from(e));
            let reason = match &cause {
                StorageError::Unavailable(reason) | StorageError::Failure(reason) => reason.clone(),
                other => other.to_string(),
            };
            StorageError::Unavailable(format!(
                "cannot connect to the database at {}:{}: {reason}",
                options.get_host(),
                options.get_port()
            ))
        })?;
        let _ = sqlx::Connection::close(probe).await;
        let lock_wait = settings
            .lock_wait_timeout
            .map(|timeout| timeout.as_secs().max(1));
        let pool = MySqlPoolOptions::new()
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    if let Some(seconds) = lock_wait {
                        sqlx::query("SET SESSION innodb_lock_wait_timeout = ?")
                            .bind(seconds)
                            .execute(conn)
                            .await?;
                    }
                    Ok(())
                })
            })
            .max_connections(settings.max_connections)
            .acquire_timeout(settings.acquire_timeout)
            .idle_timeout(Duration::from_secs(600))
            .max_lifetime(Duration::from_secs(1800))
            .connect_with(options)
            .await
            .map_err(DbError::from)?;
        // A pool the server can never fill would fail at the first busy
        // moment instead of now: refuse it at start.
        let server_max: i64 = sqlx::query_scalar("SELECT CAST(@@max_connections AS SIGNED)")
            .fetch_one(&pool)
            .await
            .map_err(DbError::from)?;
        if i64::from(settings.max_connections) > server_max {
            pool.close().await;
            return Err(StorageError::Unavailable(format!(
                "a pool of {} connections exceeds the server's max_connections ({server_max}): \
                 lower max_connections or raise the server's",
                settings.max_connections
            )));
        }
        // MariaDB always has `wsrep_on` (ON only on a Galera node); MySQL has
        // no such variable, and is no Galera node.
        let galera = sqlx::query_scalar::<_, i64>("SELECT CAST(@@GLOBAL.wsrep_on AS SIGNED)")
            .fetch_one(&pool)
            .await
            .is_ok_and(|on| on == 1);
        let mut store = SqlStore::on_pool(pool, config, settings.retry_budget);
        store.galera = galera;
        store.guard_transactions = galera;
        Ok(store)
    }

    /// Creates the schema on an empty database, or upgrades the original
    /// backend's schema in place. Safe to call on every start: applied
    /// migrations are recorded in `_sqlx_migrations` and skipped.
    ///
    /// A database shopcore has never migrated that holds other tables (or
    /// tables of the original backend's names without their columns) is
    /// refused with `storage_failure` naming them, before anything is written.
    /// A migration that fails names its step and how to resume, since MySQL
    /// cannot roll back the schema changes it made before failing.
    ///
    /// Then orders placed before their lines kept their tax and redeemed
    /// points (migration 15) get them: each order's tax and points split over
    /// its lines as a checkout splits them (`shopcore::line_costs`), once.
    pub async fn migrate(&self) -> Result<(), StorageError> {
        schema::check_before_migrating(&self.pool).await?;
        if let Err(error) = MIGRATOR.run(&self.pool).await {
            return Err(schema::migration_failed(&self.pool, error).await);
        }
        schema::split_line_costs(&self.pool, self.config.pricing.rounding).await?;
        Ok(())
    }
}
