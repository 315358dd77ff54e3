//! The one place where shopcore errors become Python exceptions.
//!
//! Exception classes live in `shopcore/errors.py` (so they can also subclass
//! `ValueError` and `LookupError`); this file picks the class by the error's
//! category with an exhaustive `match`: a new category does not compile until
//! it is mapped here, and every new error kind must name its category in core.

use pyo3::exceptions::PyRuntimeError;
use pyo3::prelude::*;
use shopcore::{ErrorCategory, ErrorCode};

fn class_name(category: ErrorCategory) -> &'static str {
    match category {
        ErrorCategory::Validation => "ValidationError",
        ErrorCategory::NotFound => "NotFoundError",
        ErrorCategory::Conflict => "ConflictError",
        ErrorCategory::Unauthenticated => "AuthenticationError",
        ErrorCategory::Forbidden => "ForbiddenError",
        ErrorCategory::RateLimited => "RateLimitedError",
        ErrorCategory::Storage => "StorageError",
    }
}

/// Converts any shopcore error into the matching `shopcore.ShopError` subclass,
/// carrying `.code` and `.category`.
pub(crate) fn to_py_err<E: ErrorCode>(error: E) -> PyErr {
    with_attribute(error, None)
}

/// Like [`to_py_err`], with one more attribute on the exception (e.g.
/// `retry_after` on a `RateLimitedError`).
pub(crate) fn with_attribute<E: ErrorCode>(error: E, extra: Option<(&str, u64)>) -> PyErr {
    let message = error.to_string();
    let code = error.code();
    let category = error.category();
    Python::attach(|py| {
        let raised = py
            .import("shopcore.errors")
            .and_then(|module| module.getattr(class_name(category)))
            .and_then(|class| class.call1((message.clone(), code, category.as_str())))
            .and_then(|instance| {
                if let Some((name, value)) = extra {
                    instance.setattr(name, value)?;
                }
                Ok(instance)
            });
        match raised {
            Ok(instance) => PyErr::from_value(instance),
            Err(import_failed) => PyRuntimeError::new_err(format!(
                "{code}: {message} (shopcore.errors unavailable: {import_failed})"
            )),
        }
    })
}

/// `Result<T, E>` → `PyResult<T>` for shopcore errors.
pub(crate) trait IntoPyResult<T> {
    fn py_result(self) -> PyResult<T>;
}

impl<T, E: ErrorCode> IntoPyResult<T> for Result<T, E> {
    fn py_result(self) -> PyResult<T> {
        self.map_err(to_py_err)
    }
}
