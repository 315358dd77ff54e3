//! What comes back from an order: returns of shipped units (created by
//! staff, or asked for by the customer and then received or rejected) and
//! goodwill refunds (the store's `OrderReturns` port). Partial cancels are
//! `Engine.cancel(order_id, lines)`, beside the whole cancel in `orders`.

use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::{ReasonText, RefundRequest, ReturnId, ReturnRequest, ReturnRequester, ReturnStatus};

use super::{page_limit, present, Engine};
use crate::args::{self, integer, invalid};
use crate::errors::IntoPyResult;
use crate::records::{Return, ReturnOutcome};

/// The longest return window a customer may be given, in days (ten years).
pub(crate) const MAX_RETURN_WINDOW_DAYS: i64 = 3650;

fn return_id(value: &Bound<'_, PyAny>) -> PyResult<ReturnId> {
    ReturnId::new(integer(value, "return_id")?).py_result()
}

fn reason(value: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ReasonText>> {
    args::optional_text(value, "reason")?
        .map(|text| ReasonText::parse(&text))
        .transpose()
        .py_result()
}

/// Who asks: `"staff"` (received at once) or `"customer"` (requested, within
/// `window_days` of the shipment holding each line).
fn requester(by: &Bound<'_, PyAny>, window_days: &Bound<'_, PyAny>) -> PyResult<ReturnRequester> {
    let days = integer(window_days, "window_days")?;
    if !(0..=MAX_RETURN_WINDOW_DAYS).contains(&days) {
        return Err(invalid(format!(
            "window_days must be from 0 to {MAX_RETURN_WINDOW_DAYS}"
        )));
    }
    match args::text(by, "by")?.as_str() {
        "staff" => Ok(ReturnRequester::Staff),
        "customer" => Ok(ReturnRequester::Customer {
            window: chrono::Duration::days(days),
        }),
        _ => Err(invalid("by must be 'staff' or 'customer'")),
    }
}

#[pymethods]
impl Engine {
    /// Creates a return of an order's shipped units: `lines` as a shipment
    /// takes them (`(product_id, quantity)` or `{"product_id", "quantity"}`).
    ///
    /// `by="staff"` (the default): the return is `received` at once, its
    /// units put back in stock if `restock` (default `True`), and what was
    /// paid for them refunded (`refund`). `by="customer"`: the return is
    /// `requested` (nothing else changes until `receive_return` or
    /// `reject_return`), refused with `return_window_closed` once
    /// `window_days` (0–3650, default 30) have passed since the units shipped.
    ///
    /// With an `idempotency_key` (per order), the same request again answers
    /// the first return (`replayed=True`) and writes nothing; the same key
    /// with another request raises `ConflictError` `idempotency_conflict`.
    #[pyo3(signature = (order_id, lines, *, restock = None, reason = None, by = None, window_days = None, idempotency_key = None))]
    #[allow(clippy::too_many_arguments)]
    fn create_return(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        lines: &Bound<'_, PyAny>,
        restock: Option<&Bound<'_, PyAny>>,
        reason: Option<&Bound<'_, PyAny>>,
        by: Option<&Bound<'_, PyAny>>,
        window_days: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ReturnOutcome> {
        let id = super::order_id(order_id)?;
        let request = ReturnRequest {
            lines: args::line_quantities(lines)?,
            restock: args::optional_bool(restock, "restock")?.unwrap_or(true),
            reason: self::reason(reason)?,
            key: args::idempotency_key(idempotency_key)?,
        };
        let staff = pyo3::types::PyString::new(py, "staff");
        let thirty = 30i64.into_pyobject(py)?;
        let by = requester(
            present(by).unwrap_or(staff.as_any()),
            present(window_days).unwrap_or(thirty.as_any()),
        )?;
        let store = Arc::clone(&self.store);
        self.run(
            py,
            async move { store.create_return(id, &request, by).await },
        )
        .map(ReturnOutcome::from)
        .py_result()
    }

    /// Receives a requested return: its units are released, restocked as
    /// the request said or as `restock` says now, and what was paid for them
    /// is refunded. Only a `requested` return (`return_not_requested`).
    #[pyo3(signature = (return_id, *, restock = None))]
    fn receive_return(
        &self,
        py: Python<'_>,
        return_id: &Bound<'_, PyAny>,
        restock: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ReturnOutcome> {
        let id = self::return_id(return_id)?;
        let restock = args::optional_bool(restock, "restock")?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.receive_return(id, restock).await })
            .map(ReturnOutcome::from)
            .py_result()
    }

    /// Rejects a requested return: nothing changes but its status.
    fn reject_return(
        &self,
        py: Python<'_>,
        return_id: &Bound<'_, PyAny>,
    ) -> PyResult<ReturnOutcome> {
        let id = self::return_id(return_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.reject_return(id).await })
            .map(ReturnOutcome::from)
            .py_result()
    }

    /// Records a goodwill refund of `amount` (a `decimal.Decimal`, an int or
    /// a decimal string, never a float; above zero): at most what is captured
    /// and not yet refunded (`refund_exceeds_paid`). It releases no units and
    /// owes nothing back. An `idempotency_key` works as for `create_return`
    /// (refunds have keys of their own).
    #[pyo3(signature = (order_id, amount, *, reason = None, idempotency_key = None))]
    fn refund(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        reason: Option<&Bound<'_, PyAny>>,
        idempotency_key: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<ReturnOutcome> {
        let id = super::order_id(order_id)?;
        let request = RefundRequest {
            amount: args::positive_money(amount, "amount")?,
            reason: self::reason(reason)?,
            key: args::idempotency_key(idempotency_key)?,
        };
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.refund(id, &request).await })
            .map(ReturnOutcome::from)
            .py_result()
    }

    /// Every order's returns, by id; only those with `status` (`"requested"`,
    /// `"received"` or `"rejected"`) if given. For tools and tests: services
    /// list [`return_page`](Self::return_page)s.
    #[pyo3(signature = (status = None))]
    fn returns(&self, py: Python<'_>, status: Option<&Bound<'_, PyAny>>) -> PyResult<Vec<Return>> {
        let status = return_status(status)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.returns(status).await })
            .map(|returns| returns.into_iter().map(Return::from).collect())
            .py_result()
    }

    /// Returns by id, only those with `status` if given: at most `limit`
    /// (1–500, default 100) after the return `after`, and the `after` of the
    /// next page (`None` on the last).
    #[pyo3(signature = (*, status = None, after = None, limit = None))]
    fn return_page(
        &self,
        py: Python<'_>,
        status: Option<&Bound<'_, PyAny>>,
        after: Option<&Bound<'_, PyAny>>,
        limit: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<(Vec<Return>, Option<i64>)> {
        let status = return_status(status)?;
        let after = present(after).map(return_id).transpose()?;
        let limit = page_limit(limit)?;
        let store = Arc::clone(&self.store);
        let page = self
            .run(
                py,
                async move { store.return_page(status, after, limit).await },
            )
            .py_result()?;
        let items = page.items.into_iter().map(Return::from).collect();
        Ok((items, page.next.map(ReturnId::get)))
    }
}

/// A return status asked for: `"requested"`, `"received"` or `"rejected"`.
fn return_status(status: Option<&Bound<'_, PyAny>>) -> PyResult<Option<ReturnStatus>> {
    args::optional_text(status, "status")?
        .map(|s| {
            ReturnStatus::parse(&s)
                .ok_or_else(|| invalid("status must be 'requested', 'received' or 'rejected'"))
        })
        .transpose()
}
