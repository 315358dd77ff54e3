//! Rust `log` records into Python logging, never into an interpreter that is gone.
//!
//! `pyo3_log` sends each record to the Python logger named by its target
//! (`sqlx::query` → `sqlx.query`). Some records come from threads the
//! bindings do not own — SQLite's connection workers log the statement a
//! failed connection ran after the call that made it has already answered —
//! and such a record may arrive while Python is exiting, when attaching to the
//! interpreter would panic (a backtrace on stderr at the end of a clean
//! `exit 2`). This bridge drops a record when the interpreter cannot be
//! attached to, and otherwise is `pyo3_log` unchanged.

use log::{Log, Metadata, Record};
use pyo3::Python;

/// `pyo3_log`'s logger, skipped while the interpreter is not there.
struct PythonLogging(pyo3_log::Logger);

impl Log for PythonLogging {
    fn enabled(&self, metadata: &Metadata<'_>) -> bool {
        self.0.enabled(metadata)
    }

    fn log(&self, record: &Record<'_>) {
        // `enabled` first: it reads the cached level, without attaching.
        if self.0.enabled(record.metadata()) && Python::try_attach(|_| ()).is_some() {
            self.0.log(record);
        }
    }

    fn flush(&self) {
        self.0.flush();
    }
}

/// Installs the bridge as the process's `log` logger (records at DEBUG and
/// above; Python logging's levels decide the rest). A second import (another
/// interpreter) keeps the first bridge.
pub(crate) fn install(py: Python<'_>) {
    let Ok(logger) = pyo3_log::Logger::new(py, pyo3_log::Caching::LoggersAndLevels) else {
        return; // no `logging` module: nothing to send records to
    };
    if log::set_boxed_logger(Box::new(PythonLogging(logger))).is_ok() {
        log::set_max_level(log::LevelFilter::Debug);
    }
}
