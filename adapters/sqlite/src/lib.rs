//! # shopcore-sqlite
//!
//! The SQLite storage adapter for `shopcore`: a store in one database file,
//! kept across restarts, with nothing to install (sqlx bundles libsqlite3).
//! It is the shared SQL store ([`shopcore_sql::SqlStore`]) on SQLite: the
//! same statements, rows, `apply` and transaction loop as the MySQL adapter,
//! with SQLite's own schema and concurrency (see [`SqliteStore::open`]).
//!
//! ```
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! use shopcore::{seed, ShopConfig};
//! use shopcore_sqlite::SqliteStore;
//!
//! let dir = std::env::temp_dir().join(format!("shopcore-sqlite-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! let store = SqliteStore::open(dir.join("shop.db"), ShopConfig::default()).await?;
//! store.migrate().await?;                    // create or upgrade the schema
//! store.seed(&seed::demo_data()).await?;     // explicit; never done on open
//! # store.close().await;
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # Ok::<(), shopcore::StorageError>(())
//! # }).unwrap();
//! ```
//!
//! ## Concurrency and durability
//! The file is in WAL mode with `synchronous = FULL`: a transaction is on
//! disk before its `COMMIT` returns, so an acknowledged order survives the
//! process being killed and the machine losing power. Every write
//! transaction begins with `BEGIN IMMEDIATE`, taking the database's one
//! write lock at its start: its reads and writes are one serial step
//! across every connection and every process on the file (gunicorn workers,
//! a dispatcher, a CLI). A write that waits past the busy timeout is rerun
//! within the retry budget and counted as `busy` in the metrics.
//!
//! One file serves one host. A shop on several hosts needs a database
//! server: the MySQL adapter (`shopcore-mysql`), proven on a Galera cluster.

pub use shopcore_sql::sqlite::{path_of_url, SqliteSettings, SqliteStore};
pub use shopcore_sql::WriteStep;
