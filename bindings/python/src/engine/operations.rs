//! Operations: readiness, the books-balance audit, metrics, backing up and closing the store.

use std::path::PathBuf;
use std::sync::Arc;

use pyo3::prelude::*;
use pyo3::types::PyDict;
use shopcore::{CustomerId, Opening, ProductId};

use super::{Database, Engine};
use crate::args::invalid;
use crate::errors::IntoPyResult;

#[pymethods]
impl Engine {
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
        let found = self
            .run(py, async move {
                shopcore::audit_store_books(&*store, &opening).await
            })
            .py_result()?;
        Ok(found.iter().map(ToString::to_string).collect())
    }

    /// Closes the database's connections (MySQL's pool, or the SQLite
    /// file's) once the ones in use are returned (a no-op in memory); every
    /// later call fails with `StorageError` (`storage_unavailable`). For a
    /// clean stop, after the last request.
    fn close(&self, py: Python<'_>) {
        match &self.database {
            Database::Memory => {}
            Database::MySql(store) => {
                let store = Arc::clone(store);
                self.run(py, async move { store.close().await });
            }
            Database::Sqlite(store) => {
                let store = Arc::clone(store);
                self.run(py, async move { store.close().await });
            }
        }
    }

    /// Writes a consistent copy of the SQLite database to the new file
    /// `path` (`VACUUM INTO`) while the engine keeps serving: the copy is the
    /// database as one transaction saw it, and opens with `Engine.sqlite`.
    /// Refuses a `path` that exists (`StorageError`); only a SQLite engine
    /// has a file to copy (`ValidationError` on another).
    fn backup(&self, py: Python<'_>, path: PathBuf) -> PyResult<()> {
        let Database::Sqlite(store) = &self.database else {
            return Err(invalid(format!(
                "backup copies a SQLite database file; this engine's backend is {:?} \
                 (back up MySQL with its own tools, e.g. mariadb-backup or mysqldump --single-transaction)",
                self.database.name()
            )));
        };
        let store = Arc::clone(store);
        self.run(py, async move { store.backup(path).await })
            .py_result()
    }

    /// The store's counters now, as plain numbers: `checkouts_placed`,
    /// `checkouts_replayed`, `checkouts_refused` (`{code: count}`),
    /// `transaction_retries` (`{"deadlock" | "lock_wait" | "certification" | "stale_snapshot" | "busy": count}`)
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
}
