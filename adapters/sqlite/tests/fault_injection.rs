//! A failure at any write step of checkout, cancel, a manual adjustment, a
//! payment, a capture, a void, a shipment, a partial cancel, a return, its
//! receipt or rejection, or a refund leaves no trace on SQLite: the store is
//! made to fail right after each step of its one apply path in turn, and
//! every table of the file — every row of it, `sqlite_sequence` (the
//! `AUTOINCREMENT` counters) included — is compared before and after.
//!
//! Ported from the MySQL adapter's cases, without those that only a server
//! can produce: a Galera node ending a transaction half-way (the guarded
//! transactions), and a write committed by another connection between a
//! checkout's, cancel's or adjustment's snapshot and its movements. On
//! SQLite every write transaction begins with `BEGIN IMMEDIATE`, holding the
//! file's one write lock from its first read to its `COMMIT`: no other
//! connection or process can commit in between (such a write waits for the
//! lock), so the snapshot a write decides from is already exact. What
//! the locked path (`decide_from_locked_rows`) would do after a stale
//! snapshot is still reached and failed at every step here, as on MySQL.

mod common;

use common::{block_on, TestDb};
use shopcore::{
    Cart, CartLine, CheckoutRequest, CustomerId, ErrorCode, ErrorKind, IdempotencyKey,
    OrderWorkflow, ProductId, Quantity,
};
use shopcore::{CatalogRepository, CustomerRepository};
use shopcore::{
    FulfillmentLine, FulfillmentRequest, OrderRepository, OrderSettlement, PaymentMethod,
    PaymentReference, PaymentRequest, PaymentState,
};
use shopcore_sqlite::{SqliteStore, WriteStep};
use sqlx::{AssertSqlSafe, SqlitePool};

/// Every row of every table (but the migrations' own), as text, by table.
type Fingerprint = Vec<(String, Vec<String>)>;

/// Reads every table of the file in full: each row as its columns'
/// `quote()`d values, rows sorted.
async fn fingerprint(pool: &SqlitePool) -> Fingerprint {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_sqlx_migrations' \
         ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tables.len() >= 20, "{tables:?}");
    let mut result = Vec::new();
    for table in tables {
        // Names are identifiers (they cannot be bound); these are the file's own.
        let columns: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        let row = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {row} AS r FROM \"{table}\" ORDER BY r"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        result.push((table, rows));
    }
    result
}

/// The tables whose rows differ between two fingerprints.
fn changed(before: &Fingerprint, after: &Fingerprint) -> Vec<String> {
    assert_eq!(before.len(), after.len());
    before
        .iter()
        .zip(after)
        .filter(|(b, a)| b != a)
        .map(|(b, _)| b.0.clone())
        .collect()
}

fn request() -> CheckoutRequest {
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

#[test]
fn a_checkout_failing_after_any_write_step_leaves_every_table_unchanged() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool().clone();
        let key = IdempotencyKey::parse("fault-test").unwrap();
        for step in WriteStep::CHECKOUT {
            let before = fingerprint(&raw).await;
            db.store.inject_fault_after(Some(step));
            let err = db.store.checkout(&request(), Some(&key)).await.unwrap_err();
            assert_eq!(err.kind(), ErrorKind::StorageFailure, "{step:?}: {err}");
            assert!(err.to_string().contains(&format!("{step:?}")), "{err}");
            assert_eq!(fingerprint(&raw).await, before, "trace left after {step:?}");
        }
        // Without the fault the same checkout goes through and changes the tables,
        // so the comparison above could see a change.
        db.store.inject_fault_after(None);
        let before = fingerprint(&raw).await;
        db.store.checkout(&request(), Some(&key)).await.unwrap();
        let after = fingerprint(&raw).await;
        assert_eq!(
            changed(&before, &after),
            [
                "customers",
                "idempotency_keys",
                "inventory",
                "ledger_entries",
                // The confirmation's delivery, queued in the outbox.
                "notification_deliveries",
                "notification_log",
                "order_items",
                "orders",
                "sqlite_sequence",
            ]
        );
        db.store.close().await;
    });
}

#[test]
fn a_cancel_failing_after_any_write_step_leaves_every_table_unchanged() {
    block_on(async {
        a_cancel_failing_after_any_step_leaves_no_trace(false, &WriteStep::CANCEL).await;
    });
}

#[test]
fn a_cancel_decided_from_locked_rows_failing_after_any_step_leaves_no_trace() {
    block_on(async {
        a_cancel_failing_after_any_step_leaves_no_trace(true, &WriteStep::LOCKED_CANCEL).await;
    });
}

#[test]
fn a_checkout_decided_from_locked_rows_failing_after_any_step_leaves_no_trace() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool().clone();
        db.store.decide_from_locked_rows(true);
        let key = IdempotencyKey::parse("locked-fault").unwrap();
        for step in WriteStep::CHECKOUT {
            let before = fingerprint(&raw).await;
            db.store.inject_fault_after(Some(step));
            let err = db.store.checkout(&request(), Some(&key)).await.unwrap_err();
            assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
            assert_eq!(fingerprint(&raw).await, before, "trace left after {step:?}");
        }
        db.store.inject_fault_after(None);
        db.store.checkout(&request(), Some(&key)).await.unwrap();
        db.store.close().await;
    });
}

/// Fails a cancel after each of `steps` in turn (decided from locked rows at
/// once, or from an unlocked snapshot), then lets it through.
async fn a_cancel_failing_after_any_step_leaves_no_trace(locked: bool, steps: &[WriteStep]) {
    let db = TestDb::seeded().await;
    let raw = db.store.pool().clone();
    let placed = db.store.checkout(&request(), None).await.unwrap();
    db.store.decide_from_locked_rows(locked);
    for &step in steps {
        let before = fingerprint(&raw).await;
        db.store.inject_fault_after(Some(step));
        let err = db.store.cancel(placed.order.id).await.unwrap_err();
        assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
        assert_eq!(fingerprint(&raw).await, before, "trace left after {step:?}");
    }
    db.store.inject_fault_after(None);
    let before = fingerprint(&raw).await;
    db.store.cancel(placed.order.id).await.unwrap();
    assert_ne!(fingerprint(&raw).await, before);
    db.store.close().await;
}

#[test]
fn a_manual_adjustment_failing_after_any_step_leaves_no_trace() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool().clone();
        let (product, customer) = (ProductId::new(4).unwrap(), CustomerId::new(3).unwrap());
        for locked in [false, true] {
            db.store.decide_from_locked_rows(locked);
            for step in [WriteStep::StockMoved, WriteStep::LedgerWritten] {
                let before = fingerprint(&raw).await;
                db.store.inject_fault_after(Some(step));
                let err = db.store.adjust_stock(product, -2).await.unwrap_err();
                assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
                assert_eq!(fingerprint(&raw).await, before, "trace left after {step:?}");
            }
            for step in [WriteStep::PointsMoved, WriteStep::LedgerWritten] {
                let before = fingerprint(&raw).await;
                db.store.inject_fault_after(Some(step));
                let err = db.store.adjust_points(customer, 5).await.unwrap_err();
                assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
                assert_eq!(fingerprint(&raw).await, before, "trace left after {step:?}");
            }
            db.store.inject_fault_after(None);
            let before = fingerprint(&raw).await;
            db.store.adjust_stock(product, -2).await.unwrap();
            db.store.adjust_points(customer, 5).await.unwrap();
            assert_ne!(fingerprint(&raw).await, before, "locked: {locked}");
        }
        db.store.close().await;
    });
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
async fn fails_without_trace<T, E, F, Fut>(
    db: &TestDb,
    raw: &SqlitePool,
    steps: &[WriteStep],
    attempt: F,
) -> T
where
    E: ErrorCode + std::fmt::Display,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    for &step in steps {
        let before = fingerprint(raw).await;
        db.store.inject_fault_after(Some(step));
        let err = match attempt().await {
            Ok(_) => panic!("{step:?}: no fault"),
            Err(err) => err,
        };
        assert_eq!(err.code(), "storage_failure", "{step:?}: {err}");
        assert!(err.to_string().contains(&format!("{step:?}")), "{err}");
        assert_eq!(fingerprint(raw).await, before, "trace left after {step:?}");
    }
    db.store.inject_fault_after(None);
    let before = fingerprint(raw).await;
    let done = attempt()
        .await
        .unwrap_or_else(|e| panic!("without a fault: {e}"));
    assert_ne!(fingerprint(raw).await, before);
    done
}

#[test]
fn a_payment_capture_void_or_shipment_failing_after_any_step_leaves_no_trace() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool().clone();
        let order = db.store.checkout(&request(), None).await.unwrap().order.id;
        let store = &db.store;

        // Captured at once: the payment, its two ledger rows, its notice.
        let now = payment("100.00", "pi_now", true);
        let paid = fails_without_trace(&db, &raw, &WriteStep::PAYMENT, || {
            store.record_payment(order, &now)
        })
        .await;
        assert_eq!(paid.payment.status, PaymentState::Captured);
        // Only authorized: the payment and its ledger row.
        let later = payment("200.00", "pi_later", false);
        let held = fails_without_trace(
            &db,
            &raw,
            &[WriteStep::PaymentRecorded, WriteStep::MoneyMoved],
            || store.record_payment(order, &later),
        )
        .await
        .payment
        .id;
        // A partial capture: the payment changed, captured and the rest released, its notice.
        let captured = fails_without_trace(&db, &raw, &WriteStep::CAPTURE, || {
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
        let voided = fails_without_trace(&db, &raw, &WriteStep::CAPTURE, || {
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
        let shipped = fails_without_trace(&db, &raw, &WriteStep::FULFILLMENT, || {
            store.fulfill(order, &shipment)
        })
        .await;
        assert_eq!(shipped.fulfillment.lines, [line]);
        let clean = shopcore::audit(
            &shopcore::Opening::from_seed(&shopcore::seed::demo_data()),
            &shopcore::BooksRepository::books(store).await.unwrap(),
        );
        assert!(clean.is_empty(), "{clean:#?}");
        db.store.close().await;
    });
}

#[test]
fn a_cancel_voiding_authorizations_failing_after_any_step_leaves_no_trace() {
    block_on(async {
        for locked in [false, true] {
            let db = TestDb::seeded().await;
            let raw = db.store.pool().clone();
            let store = &db.store;
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
            let steps: Vec<WriteStep> = if locked {
                WriteStep::LOCKED_CANCEL.to_vec()
            } else {
                WriteStep::CANCEL.to_vec()
            };
            // What was captured is refunded; what is held, voided.
            let steps = [
                steps,
                WriteStep::REFUND.to_vec(),
                WriteStep::CANCEL_VOIDS.to_vec(),
            ]
            .concat();
            let cancelled = fails_without_trace(&db, &raw, &steps, || store.cancel(order)).await;
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
            let clean = shopcore::audit(
                &shopcore::Opening::from_seed(&shopcore::seed::demo_data()),
                &shopcore::BooksRepository::books(store).await.unwrap(),
            );
            assert!(clean.is_empty(), "locked: {locked}: {clean:#?}");
            db.store.close().await;
        }
    });
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

/// The books balance from the seed data.
async fn audit_clean(store: &SqliteStore, what: &str) {
    let found = shopcore::audit(
        &shopcore::Opening::from_seed(&shopcore::seed::demo_data()),
        &shopcore::BooksRepository::books(store).await.unwrap(),
    );
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(found.is_empty(), "{what}: {shown:#?}");
}

#[test]
fn a_partial_cancel_failing_after_any_step_leaves_no_trace() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool().clone();
        let store = &db.store;
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
        let cancelled = fails_without_trace(&db, &raw, &steps, || {
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
        let released = fails_without_trace(&db, &raw, &steps, || {
            shopcore::OrderReturns::cancel_units(store, held.id, &two)
        })
        .await;
        assert_eq!(released.refund, None);
        let payment = &released.order.payments[0];
        assert_eq!(payment.status, PaymentState::Authorized);
        assert!(payment.amount_released > shopcore::Money::ZERO);
        assert_eq!(store.order(held.id).await.unwrap(), released.order);
        audit_clean(store, "partial cancels").await;
        db.store.close().await;
    });
}

#[test]
fn returns_receipts_rejections_and_refunds_failing_after_any_step_leave_no_trace() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool().clone();
        let store = &db.store;
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
        let staff = fails_without_trace(&db, &raw, &steps, || {
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
        let asked = fails_without_trace(&db, &raw, &[WriteStep::ReturnCreated], || {
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
        let receipt = fails_without_trace(&db, &raw, &steps, || {
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
        let rejected = fails_without_trace(&db, &raw, &[WriteStep::ReturnChanged], || {
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
        let goodwill = fails_without_trace(&db, &raw, &WriteStep::REFUND, || {
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
        db.store.close().await;
    });
}
