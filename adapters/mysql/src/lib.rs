//! # shopcore-mysql
//!
//! The MySQL/MariaDB storage adapter for `shopcore`, on sqlx. It keeps the
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
//! use shopcore_mysql::MySqlStore;
//!
//! let store = MySqlStore::connect("mysql://root@127.0.0.1:3306/shop", ShopConfig::default()).await?;
//! store.migrate().await?;                    // create or upgrade the schema
//! store.seed(&seed::demo_data()).await?;     // explicit; never done on start
//! # Ok(()) }
//! ```
//!
//! The store is the shared SQL store of `shopcore-sql` ([`shopcore_sql::SqlStore`])
//! on MySQL: every statement, row conversion, the one `apply` and the
//! transaction loop are written once there, for this adapter and the SQLite
//! one; this crate names the MySQL instance and re-exports its settings.

pub use shopcore_sql::mysql::{MySqlStore, PoolSettings};
pub use shopcore_sql::WriteStep;
