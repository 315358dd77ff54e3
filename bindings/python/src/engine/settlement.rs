//! After the order is placed: recording, capturing and voiding payments, and
//! recording shipments (the store's `OrderSettlement` port).

use std::sync::Arc;

use pyo3::prelude::*;
use shopcore::{
    Carrier, FulfillmentRequest, PaymentId, PaymentMethod, PaymentReference, PaymentRequest,
    TrackingNumber,
};

use super::{present, Engine};
use crate::args::{self, integer};
use crate::errors::IntoPyResult;
use crate::records::{FulfilledOrder, PaymentOutcome};

fn payment_id(value: &Bound<'_, PyAny>) -> PyResult<PaymentId> {
    PaymentId::new(integer(value, "payment_id")?).py_result()
}

/// A required text argument parsed by the core's constructor.
fn parsed<T, E: shopcore::ErrorCode>(
    value: &Bound<'_, PyAny>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> PyResult<T> {
    parse(&args::text(value, field)?).py_result()
}

/// An optional text argument parsed by the core's constructor.
fn optional_parsed<T, E: shopcore::ErrorCode>(
    value: Option<&Bound<'_, PyAny>>,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> PyResult<Option<T>> {
    args::optional_text(value, field)?
        .map(|text| parse(&text))
        .transpose()
        .py_result()
}

#[pymethods]
impl Engine {
    /// Records a payment of an order: captured at once (`capture=True`, the
    /// default) or only authorized, to capture or void later. `amount` is a
    /// `decimal.Decimal` (or an int or a decimal string, never a float) above
    /// zero; `reference` is the payment provider's id, the payment's
    /// idempotency key within the order: the same reference and amount again
    /// answers the first payment (`replayed=True`) and writes nothing; another
    /// amount raises `ConflictError` `payment_reference_conflict`.
    #[pyo3(signature = (order_id, amount, method, reference, *, capture = None))]
    fn record_payment(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        amount: &Bound<'_, PyAny>,
        method: &Bound<'_, PyAny>,
        reference: &Bound<'_, PyAny>,
        capture: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PaymentOutcome> {
        let id = super::order_id(order_id)?;
        // Leaving it out (or None) captures at once; anything but a bool is refused.
        let capture = match present(capture) {
            None => true,
            Some(given) => given
                .cast::<pyo3::types::PyBool>()
                .map_err(|_| args::invalid("capture must be True or False"))?
                .is_true(),
        };
        let request = PaymentRequest {
            amount: args::positive_money(amount, "amount")?,
            method: parsed(method, "method", PaymentMethod::parse)?,
            reference: parsed(reference, "reference", PaymentReference::parse)?,
            capture,
        };
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.record_payment(id, &request).await })
            .map(PaymentOutcome::from)
            .py_result()
    }

    /// Captures an authorized payment: all of it, or `amount` of it (at most
    /// what was authorized; the rest is released).
    #[pyo3(signature = (order_id, payment_id, amount = None))]
    fn capture_payment(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        payment_id: &Bound<'_, PyAny>,
        amount: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<PaymentOutcome> {
        let id = super::order_id(order_id)?;
        let payment = self::payment_id(payment_id)?;
        let amount = present(amount)
            .map(|a| args::positive_money(a, "amount"))
            .transpose()?;
        let store = Arc::clone(&self.store);
        self.run(py, async move {
            store.capture_payment(id, payment, amount).await
        })
        .map(PaymentOutcome::from)
        .py_result()
    }

    /// Voids an authorized payment: the authorization is released.
    fn void_payment(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        payment_id: &Bound<'_, PyAny>,
    ) -> PyResult<PaymentOutcome> {
        let id = super::order_id(order_id)?;
        let payment = self::payment_id(payment_id)?;
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.void_payment(id, payment).await })
            .map(PaymentOutcome::from)
            .py_result()
    }

    /// Records a shipment of an order's units: `lines` as checkout takes
    /// products (`(product_id, quantity)` or `{"product_id", "quantity"}`),
    /// or `None` for everything not yet shipped; optionally the `carrier` and
    /// its `tracking_number`. Payment is not required first.
    #[pyo3(signature = (order_id, lines = None, *, carrier = None, tracking_number = None))]
    fn fulfill(
        &self,
        py: Python<'_>,
        order_id: &Bound<'_, PyAny>,
        lines: Option<&Bound<'_, PyAny>>,
        carrier: Option<&Bound<'_, PyAny>>,
        tracking_number: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<FulfilledOrder> {
        let id = super::order_id(order_id)?;
        let request = FulfillmentRequest {
            lines: args::fulfillment_lines(lines)?,
            carrier: optional_parsed(carrier, "carrier", Carrier::parse)?,
            tracking_number: optional_parsed(
                tracking_number,
                "tracking_number",
                TrackingNumber::parse,
            )?,
        };
        let store = Arc::clone(&self.store);
        self.run(py, async move { store.fulfill(id, &request).await })
            .map(FulfilledOrder::from)
            .py_result()
    }
}
