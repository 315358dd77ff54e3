//! The fault-injection cases every SQL backend's tests run (feature
//! `fault-injection`): a failure at any write step of a checkout, a cancel,
//! a manual adjustment, a payment, a capture, a void, a shipment, a partial
//! cancel, a return, its receipt or rejection, or a refund leaves no trace.
//! The store is made to fail right after each step of its one apply path in
//! turn, and every table is compared before and after through the test's
//! [`Snapshot`] (MySQL: row counts and `CHECKSUM TABLE`; SQLite: every row).
//! Each case then lets the same write through and checks that it changed
//! something, so that the comparison could see a change.
//!
//! Each case takes a freshly seeded store ([`shopcore::seed::demo_data`]).

use async_trait::async_trait;
use shopcore::{
    Cart, CartLine, CheckoutRequest, CustomerId, ErrorCode, ErrorKind, IdempotencyKey,
    OrderWorkflow, ProductId, Quantity,
};
use shopcore::{CatalogRepository, CustomerRepository};
use shopcore::{
    FulfillmentLine, FulfillmentRequest, OrderRepository, OrderSettlement, PaymentMethod,
    PaymentReference, PaymentRequest, PaymentState,
};

use crate::{Backend, SqlStore, WriteStep};

/// Every table's contents, by table, in a form that changes whenever a row
/// does (the rows themselves, or a checksum).
pub type Tables = Vec<(String, String)>;

/// How a test reads every table of its database.
#[async_trait]
pub trait Snapshot: Sync {
    /// Every table's contents now.
    async fn tables(&self) -> Tables;
}

/// The tables whose contents differ between two snapshots.
pub fn changed(before: &Tables, after: &Tables) -> Vec<String> {
    assert_eq!(before.len(), after.len());
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.clone())
        .collect()
}

/// The checkout every case places: 5 units of product 1 and 10 of product 2
/// for customer 1, in the default region.
pub fn request() -> CheckoutRequest {
    CheckoutRequest {
        customer_id: CustomerId::new(1).unwrap(),
        cart: Cart::new([
            CartLine {
                product_id: ProductId::new(1).unwrap(),
                quantity: Quantity::new(5).unwrap(),
            },
            CartLine {
                product_id: ProductId::new(2).unwrap(),
                quantity: Quantity::new(10).unwrap(),
            },
        ])
        .unwrap(),
        region: None,
        expected_total: None,
        coupon: None,
        redeem_points: 0,
    }
}

/// A keyed checkout failing after each of its write steps; answers the
/// tables the same checkout changes once let through.
pub async fn checkout<C: Backend>(store: &SqlStore<C>, snap: &impl Snapshot) -> Vec<String> {
    let key = IdempotencyKey::parse("fault-test").unwrap();
    for step in WriteStep::CHECKOUT {
        let before = snap.tables().await;
        store.inject_fault_after(Some(step));
        let err = store.checkout(&request(), Some(&key)).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StorageFailure, "{step:?}: {err}");
        assert!(err.to_string().contains(&format!("{step:?}")), "{err}");
        assert_eq!(snap.tables().await, before, "trace left after {step:?}");
    }
    store.inject_fault_after(None);
    let before = snap.tables().await;
    store.checkout(&request(), Some(&key)).await.unwrap();
    changed(&before, &snap.tables().await)
}

/// A checkout decided from locked rows at once (as after a stale snapshot)
/// failing after each of its write steps.
pub async fn locked_checkout<C: Backend>(store: &SqlStore<C>, snap: &impl Snapshot) {
    store.decide_from_locked_rows(true);
    let key = IdempotencyKey::parse("locked-fault").unwrap();
    for step in WriteStep::CHECKOUT {
        let before = snap.tables().await;
        store.inject_fault_after(Some(step));
        let err = store.checkout(&request(), Some(&key)).await.unwrap_err();
        assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
        assert_eq!(snap.tables().await, before, "trace left after {step:?}");
    }
    store.inject_fault_after(None);
    store.checkout(&request(), Some(&key)).await.unwrap();
}

/// A cancel failing after each of its steps, decided from locked rows at
/// once (`locked`) or from an unlocked snapshot.
pub async fn cancel<C: Backend>(store: &SqlStore<C>, snap: &impl Snapshot, locked: bool) {
    let steps: &[WriteStep] = if locked {
        &WriteStep::LOCKED_CANCEL
    } else {
        &WriteStep::CANCEL
    };
    let placed = store.checkout(&request(), None).await.unwrap();
    store.decide_from_locked_rows(locked);
    for &step in steps {
        let before = snap.tables().await;
        store.inject_fault_after(Some(step));
        let err = store.cancel(placed.order.id).await.unwrap_err();
        assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
        assert_eq!(snap.tables().await, before, "trace left after {step:?}");
    }
    store.inject_fault_after(None);
    let before = snap.tables().await;
    store.cancel(placed.order.id).await.unwrap();
    assert_ne!(snap.tables().await, before);
}

/// Manual stock and points adjustments failing after each of their steps,
/// from a snapshot and from locked rows.
pub async fn manual_adjustment<C: Backend>(store: &SqlStore<C>, snap: &impl Snapshot) {
    let (product, customer) = (ProductId::new(4).unwrap(), CustomerId::new(3).unwrap());
    for locked in [false, true] {
        store.decide_from_locked_rows(locked);
        for step in [WriteStep::StockMoved, WriteStep::LedgerWritten] {
            let before = snap.tables().await;
            store.inject_fault_after(Some(step));
            let err = store.adjust_stock(product, -2).await.unwrap_err();
            assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
            assert_eq!(snap.tables().await, before, "trace left after {step:?}");
        }
        for step in [WriteStep::PointsMoved, WriteStep::LedgerWritten] {
            let before = snap.tables().await;
            store.inject_fault_after(Some(step));
            let err = store.adjust_points(customer, 5).await.unwrap_err();
            assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
            assert_eq!(snap.tables().await, before, "trace left after {step:?}");
        }
        store.inject_fault_after(None);
        let before = snap.tables().await;
        store.adjust_stock(product, -2).await.unwrap();
        store.adjust_points(customer, 5).await.unwrap();
        assert_ne!(snap.tables().await, before, "locked: {locked}");
    }
}

fn payment(amount: &str, reference: &str, capture: bool) -> PaymentRequest {
    PaymentRequest {
        amount: amount.parse().unwrap(),
        method: PaymentMethod::parse("card").unwrap(),
        reference: PaymentReference::parse(reference).unwrap(),
        capture,
    }
}

/// Fails `attempt` after each of `steps` in turn, checking every table is
/// unchanged each time, then lets it through and checks something changed.
async fn fails_without_trace<C, T, E, F, Fut>(
    store: &SqlStore<C>,
    snap: &impl Snapshot,
    steps: &[WriteStep],
    attempt: F,
) -> T
where
    C: Backend,
    E: ErrorCode + std::fmt::Display,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    for &step in steps {
        let before = snap.tables().await;
        store.inject_fault_after(Some(step));
        let err = match attempt().await {
            Ok(_) => panic!("{step:?}: no fault"),
            Err(err) => err,
        };
        assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
        assert!(err.to_string().contains(&format!("{step:?}")), "{err}");
        assert_eq!(snap.tables().await, before, "trace left after {step:?}");
    }
    store.inject_fault_after(None);
    let before = snap.tables().await;
    let done = attempt()
        .await
        .unwrap_or_else(|e| panic!("without a fault: {e}"));
    assert_ne!(snap.tables().await, before);
    done
}

/// The books balance from the seed data.
async fn audit_clean<C: Backend>(store: &SqlStore<C>, what: &str) {
    let found = shopcore::audit(
        &shopcore::Opening::from_seed(&shopcore::seed::demo_data()),
        &shopcore::BooksRepository::books(store).await.unwrap(),
    );
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(found.is_empty(), "{what}: {shown:#?}");
}

/// A payment captured at once, one only authorized, a partial capture, a
/// void and a shipment, each failing after each of its steps.
pub async fn payments_and_shipments<C: Backend>(store: &SqlStore<C>, snap: &impl Snapshot) {
    let order = store.checkout(&request(), None).await.unwrap().order.id;

    // Captured at once: the payment, its two ledger rows, its notice.
    let now = payment("100.00", "pi_now", true);
    let paid = fails_without_trace(store, snap, &WriteStep::PAYMENT, || {
        store.record_payment(order, &now)
    })
    .await;
    assert_eq!(paid.payment.status, PaymentState::Captured);
    // Only authorized: the payment and its ledger row.
    let later = payment("200.00", "pi_later", false);
    let held = fails_without_trace(
        store,
        snap,
        &[WriteStep::PaymentRecorded, WriteStep::MoneyMoved],
        || store.record_payment(order, &later),
    )
    .await
    .payment
    .id;
    // A partial capture: the payment changed, captured and the rest released, its notice.
    let captured = fails_without_trace(store, snap, &WriteStep::CAPTURE, || {
        store.capture_payment(order, held, Some("150.00".parse().unwrap()))
    })
    .await;
    assert_eq!(captured.payment.amount_captured, "150.00".parse().unwrap());
    // A void.
    let held = store
        .record_payment(order, &payment("50.00", "pi_void", false))
        .await
        .unwrap()
        .payment
        .id;
    let voided = fails_without_trace(store, snap, &WriteStep::CAPTURE, || {
        store.void_payment(order, held)
    })
    .await;
    assert_eq!(voided.payment.status, PaymentState::Voided);
    // A shipment of part of a line.
    let line = FulfillmentLine {
        product_id: ProductId::new(2).unwrap(),
        quantity: Quantity::new(4).unwrap(),
    };
    let shipment = FulfillmentRequest {
        lines: Some(vec![line]),
        ..Default::default()
    };
    let shipped = fails_without_trace(store, snap, &WriteStep::FULFILLMENT, || {
        store.fulfill(order, &shipment)
    })
    .await;
    assert_eq!(shipped.fulfillment.lines, [line]);
    audit_clean(store, "payments and shipments").await;
}

/// A cancel of an order with a captured and an authorized payment, decided
/// from locked rows at once (`locked`) or from a snapshot: what was captured
/// is refunded, what is held voided, each step failed in turn.
pub async fn cancel_voiding_authorizations<C: Backend>(
    store: &SqlStore<C>,
    snap: &impl Snapshot,
    locked: bool,
) {
    let order = store.checkout(&request(), None).await.unwrap().order.id;
    store
        .record_payment(order, &payment("300.00", "pi_paid", true))
        .await
        .unwrap();
    store
        .record_payment(order, &payment("400.00", "pi_held", false))
        .await
        .unwrap();
    store.decide_from_locked_rows(locked);
    let cancel: &[WriteStep] = if locked {
        &WriteStep::LOCKED_CANCEL
    } else {
        &WriteStep::CANCEL
    };
    let steps = [cancel, &WriteStep::REFUND[..], &WriteStep::CANCEL_VOIDS[..]].concat();
    let cancelled = fails_without_trace(store, snap, &steps, || store.cancel(order)).await;
    assert_eq!(cancelled.refund_due, "300.00".parse().unwrap());
    let refund = cancelled.refund.as_ref().expect("the refund");
    assert_eq!(
        (refund.kind, refund.amount),
        (
            shopcore::RefundKind::Cancellation,
            "300.00".parse().unwrap()
        )
    );
    assert_eq!(cancelled.order.refund_due, "300.00".parse().unwrap());
    let stored = store.order(order).await.unwrap();
    assert_eq!(stored, cancelled.order, "locked: {locked}");
    assert_eq!(
        stored.payments.iter().map(|p| p.status).collect::<Vec<_>>(),
        [PaymentState::Captured, PaymentState::Voided]
    );
    audit_clean(store, &format!("cancel, locked: {locked}")).await;
}

fn units(product: i64, quantity: i64) -> shopcore::LineQuantity {
    shopcore::LineQuantity {
        product_id: ProductId::new(product).unwrap(),
        quantity: Quantity::new(quantity).unwrap(),
    }
}

fn return_request(lines: Vec<shopcore::LineQuantity>) -> shopcore::ReturnRequest {
    shopcore::ReturnRequest {
        lines,
        restock: true,
        reason: Some(shopcore::ReasonText::parse("damaged in transit").unwrap()),
        key: None,
    }
}

/// Partial cancels: of a paid order (a refund), and of one with an open
/// authorization (part of it released), each step failed in turn.
pub async fn partial_cancel<C: Backend>(store: &SqlStore<C>, snap: &impl Snapshot) {
    // Paid in full: cancelling 3 mice refunds them. Then, with an open
    // authorization, cancelling 2 more releases part of it.
    let placed = store.checkout(&request(), None).await.unwrap().order;
    let total = placed.total_amount.to_string();
    store
        .record_payment(placed.id, &payment(&total, "pi_all", true))
        .await
        .unwrap();
    let steps = [WriteStep::RELEASE.to_vec(), WriteStep::REFUND.to_vec()].concat();
    let three = [units(2, 3)];
    let cancelled = fails_without_trace(store, snap, &steps, || {
        shopcore::OrderReturns::cancel_units(store, placed.id, &three)
    })
    .await;
    let refund = cancelled.refund.clone().expect("a refund");
    assert_eq!(refund.amount, cancelled.refund_due);
    assert_eq!(cancelled.cancelled_lines.len(), 1);
    assert_eq!(
        cancelled.notice.kind,
        shopcore::NotificationKind::UnitsCancelled
    );
    assert_eq!(store.order(placed.id).await.unwrap(), cancelled.order);

    let held = store.checkout(&request(), None).await.unwrap().order;
    let total = held.total_amount.to_string();
    store
        .record_payment(held.id, &payment(&total, "pi_held", false))
        .await
        .unwrap();
    let steps = [
        WriteStep::RELEASE.to_vec(),
        vec![WriteStep::PaymentChanged, WriteStep::MoneyMoved],
    ]
    .concat();
    let two = [units(2, 2)];
    let released = fails_without_trace(store, snap, &steps, || {
        shopcore::OrderReturns::cancel_units(store, held.id, &two)
    })
    .await;
    assert_eq!(released.refund, None);
    let payment = &released.order.payments[0];
    assert_eq!(payment.status, PaymentState::Authorized);
    assert!(payment.amount_released > shopcore::Money::ZERO);
    assert_eq!(store.order(held.id).await.unwrap(), released.order);
    audit_clean(store, "partial cancels").await;
}

/// A staff return, a customer's request received, another rejected, and a
/// goodwill refund, each step failed in turn.
pub async fn returns_and_refunds<C: Backend>(store: &SqlStore<C>, snap: &impl Snapshot) {
    let order = store.checkout(&request(), None).await.unwrap().order;
    let total = order.total_amount.to_string();
    store
        .record_payment(order.id, &payment(&total, "pi_all", true))
        .await
        .unwrap();
    store
        .fulfill(order.id, &FulfillmentRequest::default())
        .await
        .unwrap();

    // Staff: received at once, restocked, refunded.
    let request_two = return_request(vec![units(2, 2)]);
    let steps = [
        vec![WriteStep::ReturnCreated],
        WriteStep::RELEASE.to_vec(),
        WriteStep::REFUND.to_vec(),
    ]
    .concat();
    let staff = fails_without_trace(store, snap, &steps, || {
        shopcore::OrderReturns::create_return(
            store,
            order.id,
            &request_two,
            shopcore::ReturnRequester::Staff,
        )
    })
    .await;
    let received = staff.returned.clone().expect("the return");
    assert_eq!(received.status, shopcore::ReturnStatus::Received);
    let refund = staff.refund.clone().expect("its refund");
    assert_eq!(refund.return_id, Some(received.id));
    assert_eq!(store.order(order.id).await.unwrap(), staff.order);

    // The customer asks, staff receive; the customer asks again, staff reject.
    let customer = shopcore::ReturnRequester::Customer {
        window: shopcore::chrono::Duration::days(30),
    };
    let request_one = return_request(vec![units(1, 1)]);
    let asked = fails_without_trace(store, snap, &[WriteStep::ReturnCreated], || {
        shopcore::OrderReturns::create_return(store, order.id, &request_one, customer)
    })
    .await
    .returned
    .expect("the request");
    assert_eq!(asked.status, shopcore::ReturnStatus::Requested);
    let steps = [
        vec![WriteStep::ReturnChanged],
        WriteStep::RELEASE.to_vec(),
        WriteStep::REFUND.to_vec(),
    ]
    .concat();
    let receipt = fails_without_trace(store, snap, &steps, || {
        shopcore::OrderReturns::receive_return(store, asked.id, None)
    })
    .await;
    assert_eq!(
        receipt.returned.as_ref().map(|r| (r.id, r.status)),
        Some((asked.id, shopcore::ReturnStatus::Received))
    );
    assert!(receipt.refund.is_some());
    let asked = shopcore::OrderReturns::create_return(store, order.id, &request_one, customer)
        .await
        .unwrap()
        .returned
        .unwrap();
    let rejected = fails_without_trace(store, snap, &[WriteStep::ReturnChanged], || {
        shopcore::OrderReturns::reject_return(store, asked.id)
    })
    .await;
    assert_eq!(
        rejected.returned.map(|r| r.status),
        Some(shopcore::ReturnStatus::Rejected)
    );
    let all = shopcore::OrderReturns::returns(store, None).await.unwrap();
    assert_eq!(all.len(), 3);

    // A goodwill refund.
    let amount: shopcore::Money = "10.00".parse().unwrap();
    let request = shopcore::RefundRequest {
        amount,
        reason: None,
        key: Some("refund-1".parse().unwrap()),
    };
    let goodwill = fails_without_trace(store, snap, &WriteStep::REFUND, || {
        shopcore::OrderReturns::refund(store, order.id, &request)
    })
    .await;
    let refund = goodwill.refund.clone().expect("the refund");
    assert_eq!(
        (refund.kind, refund.amount),
        (shopcore::RefundKind::Goodwill, amount)
    );
    assert_eq!(store.order(order.id).await.unwrap(), goodwill.order);
    audit_clean(store, "returns and refunds").await;
}
