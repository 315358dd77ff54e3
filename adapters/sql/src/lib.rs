//! # shopcore-sql
//!
//! The SQL storage shared by `shopcore`'s database adapters: one store,
//! [`SqlStore`], written once over a [`Backend`] (named by its sqlx
//! connection type) and implementing every port of `shopcore`. The
//! adapter crates give it a backend and a name: `shopcore-mysql`'s
//! `MySqlStore` is `SqlStore<MySqlConnection>` (feature `mysql`),
//! `shopcore-sqlite`'s `SqliteStore` is `SqlStore<SqliteConnection>`
//! (feature `sqlite`). Statements are written once, in MySQL's spelling with
//! `?` placeholders; a backend translates the few phrases it spells
//! otherwise ([`Backend::dialect`]).
//!
//! Every write — checkout, cancel, payments and shipments, partial cancels,
//! returns and refunds, stock and points adjustments, logged notices — runs
//! as one transaction:
//!
//! 1. for a keyed checkout, claim the idempotency key (a plain `INSERT`);
//! 2. read what the plan needs (on MySQL the rows the plan changes are read
//!    `FOR UPDATE`, in one global lock order; on SQLite the transaction took
//!    the database's write lock at its `BEGIN IMMEDIATE`, so every read is
//!    already exclusive);
//! 3. let the pure core plan ([`shopcore::plan_checkout`] and its siblings);
//! 4. apply the plan's effects through the one `apply` (module `apply`) and
//!    commit.
//!
//! A lost race (a busy database, a deadlock) reruns the whole transaction a
//! bounded number of times, each rerun counted by its cause (then
//! `storage_unavailable`). Any other failure rolls back: no partial order is
//! ever visible.
//!
//! ## Layout
//! - [`backend`]: what differs between databases ([`Backend`], [`Arg`]);
//! - [`stmt`]: statements written once ([`query`], [`Builder`], [`row!`]);
//! - `error`: `DbError` and the single conversion from `sqlx::Error`;
//! - `transaction`: `in_transaction!`, the retry loop every write runs in;
//! - `apply`: the one `apply` for plans;
//! - `rows`: row types and their checked conversion into domain values;
//! - `repositories`: catalog, customer, order, notification and books traits;
//! - `workflow`: checkout and cancel, the lock order, fault injection;
//! - `settlement`: payments (record, capture, void) and shipments;
//! - `returns`: partial cancels, returns and refunds;
//! - `admin`: catalog administration and the change log;
//! - `coupons`: coupons and how often each is in use;
//! - `outbox`: notification deliveries and webhook endpoints;
//! - `throttle`: the throttles' counts;
//! - `fault_cases` (feature `fault-injection`): the fault-injection cases
//!   every backend's tests run;
//! - [`mysql`] (feature `mysql`): connecting to a server, its migrations
//!   and the checks around them;
//! - `sqlite` (feature `sqlite`): opening a database file.

#[macro_use]
mod transaction;
mod admin;
mod apply;
pub mod backend;
mod coupons;
mod error;
#[cfg(feature = "fault-injection")]
pub mod fault_cases;
mod faults;
#[cfg(feature = "mysql")]
pub mod mysql;
mod outbox;
mod repositories;
mod returns;
mod rows;
mod settlement;
#[cfg(feature = "sqlite")]
pub mod sqlite;
pub mod stmt;
mod throttle;
mod workflow;

use std::sync::Arc;
use std::time::Duration;

use shopcore::seed::SeedData;
use shopcore::{Clock, ShopConfig, StorageError};

/// The attribute [`fault_cases::Snapshot`]'s implementations need (feature `fault-injection`).
#[cfg(feature = "fault-injection")]
pub use async_trait::async_trait;
pub use backend::{Arg, Backend};
pub use faults::WriteStep;
pub use stmt::{query, Builder, Stmt};

use crate::error::DbError;

/// A `shopcore` store on a SQL database, written once for every [`Backend`].
#[derive(Debug)]
pub struct SqlStore<C: Backend> {
    pool: sqlx::Pool<C::Database>,
    config: ShopConfig,
    clock: Arc<dyn Clock>,
    /// How long one call may rerun lost transactions.
    retry_budget: Duration,
    /// The server is a Galera node: a guarded write that finds another
    /// node's write is rerun (see `error::DbError::Diverged`).
    galera: bool,
    /// Every transaction checks before `COMMIT` that it is still the one
    /// that began (see `transaction::Transaction`): on a Galera node, or in tests.
    guard_transactions: bool,
    faults: faults::Faults,
    metrics: shopcore::StoreMetrics,
    pool_counters: transaction::PoolCounters,
}

impl<C: Backend> SqlStore<C> {
    /// A store on `pool`, which the backend's constructor opened.
    pub(crate) fn on_pool(
        pool: sqlx::Pool<C::Database>,
        config: ShopConfig,
        retry_budget: Duration,
    ) -> Self {
        SqlStore {
            pool,
            config,
            clock: Arc::new(shopcore::SystemClock),
            retry_budget,
            galera: false,
            guard_transactions: false,
            faults: faults::Faults::default(),
            metrics: shopcore::StoreMetrics::default(),
            pool_counters: transaction::PoolCounters::default(),
        }
    }

    /// Replaces the clock.
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The connection pool, for callers that need plain SQL beside the store.
    pub fn pool(&self) -> &sqlx::Pool<C::Database> {
        &self.pool
    }

    /// The shop configuration the store was opened with.
    pub fn config(&self) -> &ShopConfig {
        &self.config
    }

    /// Loads `data` in one transaction. Rows whose id (or, for rules, product
    /// and tier) already exists are left as they are, so seeding twice is harmless.
    pub async fn seed(&self, data: &SeedData) -> Result<(), StorageError> {
        let mut tx = self.begin().await?;
        let conn = tx.connection();
        seed_rows(conn, data).await?;
        Ok(tx.commit().await?)
    }

    /// Closes the pool, waiting for connections in use to be returned.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}

/// Inserts `data`'s rows that are not there yet.
async fn seed_rows<C: Backend>(conn: &mut C, data: &SeedData) -> Result<(), DbError> {
    for p in &data.products {
        query(
            "INSERT INTO inventory (product_id, product_name, quantity_available, unit_price) \
             VALUES (?, ?, ?, ?) ON DUPLICATE KEY UPDATE product_id = product_id",
        )
        .bind(p.id.get())
        .bind(p.name.as_str())
        .bind(p.quantity_available)
        .bind(p.unit_price.amount())
        .execute(conn)
        .await?;
    }
    for c in &data.customers {
        query(
            "INSERT INTO customers (customer_id, name, email, phone, loyalty_points) \
             VALUES (?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE customer_id = customer_id",
        )
        .bind(c.id.get())
        .bind(c.name.as_str())
        .bind(c.email.as_str())
        .bind(c.phone.as_ref().map(|p| p.as_str()))
        .bind(c.loyalty_points)
        .execute(conn)
        .await?;
    }
    for r in &data.rules {
        query(
            "INSERT INTO pricing_rules (product_id, min_quantity, discount_percentage) \
             SELECT ?, ?, ? FROM DUAL WHERE NOT EXISTS \
             (SELECT 1 FROM pricing_rules WHERE product_id = ? AND min_quantity = ?)",
        )
        .bind(r.product_id.get())
        .bind(r.min_quantity.get())
        .bind(r.discount.value())
        .bind(r.product_id.get())
        .bind(r.min_quantity.get())
        .execute(conn)
        .await?;
    }
    for (region, rate) in &data.tax_rates {
        query(
            "INSERT INTO tax_rates (region, tax_rate) VALUES (?, ?) \
             ON DUPLICATE KEY UPDATE region = region",
        )
        .bind(region.as_str())
        .bind(rate.value())
        .execute(conn)
        .await?;
    }
    Ok(())
}
