//! A failure at any write step of checkout, cancel, a manual adjustment, a
//! payment, a capture, a void, a shipment, a partial cancel, a return, its
//! receipt or rejection, or a refund leaves no trace: the
//! adapter is made to fail right after each step of its one apply path in
//! turn, and every table is compared (row count and `CHECKSUM TABLE`) before
//! and after.

mod common;

use common::TestDb;
use shopcore::{
    Cart, CartLine, CheckoutRequest, CustomerId, ErrorCode, ErrorKind, IdempotencyKey,
    OrderWorkflow, ProductId, Quantity,
};
use shopcore::{CatalogRepository, CustomerRepository};
use shopcore::{
    FulfillmentLine, FulfillmentRequest, OrderRepository, OrderSettlement, PaymentMethod,
    PaymentReference, PaymentRequest, PaymentState,
};
use shopcore_mysql::WriteStep;
use sqlx::{AssertSqlSafe, MySqlPool, Row};

const TABLES: [&str; 20] = [
    "customers",
    "inventory",
    "pricing_rules",
    "tax_rates",
    "orders",
    "order_items",
    "notification_log",
    "idempotency_keys",
    "ledger_entries",
    "payments",
    "payment_ledger",
    "fulfillments",
    "fulfillment_items",
    "returns",
    "return_items",
    "releases",
    "release_items",
    "refunds",
    "refund_items",
    "refund_parts",
];

/// `(table, rows, checksum)` for every table.
async fn fingerprint(pool: &MySqlPool) -> Vec<(String, i64, Option<i64>)> {
    let mut result = Vec::new();
    for table in TABLES {
        // A table name is an identifier (it cannot be bound); these are TABLES' own.
        let count: i64 = sqlx::query_scalar(AssertSqlSafe(format!("SELECT COUNT(*) FROM {table}")))
            .fetch_one(pool)
            .await
            .unwrap();
        let row = sqlx::query(AssertSqlSafe(format!("CHECKSUM TABLE {table}")))
            .fetch_one(pool)
            .await
            .unwrap();
        let checksum: Option<i64> = row
            .try_get::<Option<i64>, _>(1)
            .unwrap_or_else(|_| row.try_get::<Option<u64>, _>(1).unwrap().map(|v| v as i64));
        result.push((table.to_owned(), count, checksum));
    }
    result
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

#[tokio::test]
async fn a_checkout_failing_after_any_write_step_leaves_every_table_unchanged() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
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
    for (b, a) in before.iter().zip(&after) {
        let written = matches!(
            b.0.as_str(),
            "customers"
                | "inventory"
                | "orders"
                | "order_items"
                | "notification_log"
                | "idempotency_keys"
                | "ledger_entries"
        );
        assert_eq!(b != a, written, "table {}", b.0);
    }
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_cancel_failing_after_any_write_step_leaves_every_table_unchanged() {
    a_cancel_failing_after_any_step_leaves_no_trace(false, &WriteStep::CANCEL).await;
}

#[tokio::test]
async fn a_cancel_decided_from_locked_rows_failing_after_any_step_leaves_no_trace() {
    a_cancel_failing_after_any_step_leaves_no_trace(true, &WriteStep::LOCKED_CANCEL).await;
}

#[tokio::test]
async fn a_checkout_decided_from_locked_rows_failing_after_any_step_leaves_no_trace() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
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
    raw.close().await;
    db.drop_database().await;
}

/// Fails a cancel after each of `steps` in turn (decided from locked rows at
/// once, or from an unlocked snapshot), then lets it through.
async fn a_cancel_failing_after_any_step_leaves_no_trace(locked: bool, steps: &[WriteStep]) {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
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
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_manual_adjustment_failing_after_any_step_leaves_no_trace() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
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
    raw.close().await;
    db.drop_database().await;
}

/// A store on `db` with a one-connection pool whose transactions are guarded
/// as on a Galera node, or not.
async fn one_connection_store(db: &TestDb, guarded: bool) -> shopcore_mysql::MySqlStore {
    let settings = shopcore_mysql::PoolSettings {
        max_connections: 1,
        retry_budget: std::time::Duration::from_millis(50),
        ..Default::default()
    };
    shopcore_mysql::MySqlStore::connect_with(&db.url, shopcore::ShopConfig::default(), settings)
        .await
        .unwrap()
        .guard_transactions(guarded)
}

/// What a Galera brute-force abort does to a transaction half-way — the
/// server rolls it back and the session carries on outside any transaction —
/// simulated on a plain server by a `ROLLBACK` between planning and applying.
#[tokio::test]
async fn a_transaction_the_server_ended_half_way_commits_nothing_when_guarded() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let key = IdempotencyKey::parse("lost-transaction").unwrap();
    let orders = |pool: &MySqlPool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM orders")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };

    // Unguarded, the rest of the attempt commits statement by statement: the
    // caller is told it failed (on Galera after reruns, each leaving its
    // own), yet an order is there without its key.
    let unguarded = one_connection_store(&db, false).await;
    unguarded.inject_statement_before_apply(Some("ROLLBACK"));
    let before = orders(&raw).await;
    let err = unguarded
        .checkout(&request(), Some(&key))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("idempotency key"), "{err}");
    assert!(
        orders(&raw).await > before,
        "the hazard the guard exists for"
    );
    unguarded.close().await;

    // Guarded, the lost transaction is found — on the way to COMMIT (no key:
    // the attempt itself sees nothing wrong) or when it rolls back (a key:
    // its claim is gone) — rolled back and rerun; with the fault on every
    // attempt the caller gets storage_unavailable and no table changes.
    let guarded = one_connection_store(&db, true).await;
    let session = |store: &shopcore_mysql::MySqlStore| {
        let pool = store.pool().clone();
        async move {
            sqlx::query_as::<_, (i64, i64)>(
                "SELECT CAST(CONNECTION_ID() AS SIGNED), CAST(@@autocommit AS SIGNED)",
            )
            .fetch_one(&pool)
            .await
            .unwrap()
        }
    };
    let (connection, _) = session(&guarded).await;
    guarded.inject_statement_before_apply(Some("ROLLBACK"));
    let before = fingerprint(&raw).await;
    for key in [None, Some(&key)] {
        let err = guarded.checkout(&request(), key).await.unwrap_err();
        assert_eq!(err.kind(), ErrorKind::StorageUnavailable, "{key:?}: {err}");
        // The guard's own report, or — on Galera, where a diverged write is a
        // lost race rerun anyway — the vanished key claim's.
        let reported = err.to_string();
        assert!(
            reported.contains("ended the transaction") || reported.contains("no longer matches"),
            "{err}"
        );
        assert_eq!(
            fingerprint(&raw).await,
            before,
            "{key:?}: a lost transaction left a trace"
        );
        // The same session, given its autocommit back.
        assert_eq!(session(&guarded).await, (connection, 1), "{key:?}");
    }
    // Rerun while the budget lasted (each call at least twice), every rerun
    // counted by its cause.
    let retries = shopcore::Instrumented::metrics(&guarded);
    assert!(
        retries.retries(shopcore::RetryCause::Certification) >= 4,
        "{retries:?}"
    );

    // Without the fault the same guarded session places the order.
    guarded.inject_statement_before_apply(None);
    let placed = guarded.checkout(&request(), Some(&key)).await.unwrap();
    assert_eq!(session(&guarded).await, (connection, 1));
    assert_eq!(orders(&raw).await, before_orders(&before) + 1);
    assert!(shopcore::OrderRepository::order(&guarded, placed.order.id)
        .await
        .is_ok());
    guarded.close().await;
    raw.close().await;
    db.drop_database().await;
}

/// The row count of `orders` in a [`fingerprint`].
fn before_orders(fingerprint: &[(String, i64, Option<i64>)]) -> i64 {
    fingerprint.iter().find(|t| t.0 == "orders").unwrap().1
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
    raw: &MySqlPool,
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

#[tokio::test]
async fn a_payment_capture_void_or_shipment_failing_after_any_step_leaves_no_trace() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
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
        &shopcore::BooksRepository::books(&**store).await.unwrap(),
    );
    assert!(clean.is_empty(), "{clean:#?}");
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_cancel_voiding_authorizations_failing_after_any_step_leaves_no_trace() {
    for locked in [false, true] {
        let Some(db) = TestDb::seeded().await else {
            return;
        };
        let raw = db.raw_pool().await;
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
            &shopcore::BooksRepository::books(&**store).await.unwrap(),
        );
        assert!(clean.is_empty(), "locked: {locked}: {clean:#?}");
        raw.close().await;
        db.drop_database().await;
    }
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
async fn audit_clean(store: &shopcore_mysql::MySqlStore, what: &str) {
    let found = shopcore::audit(
        &shopcore::Opening::from_seed(&shopcore::seed::demo_data()),
        &shopcore::BooksRepository::books(store).await.unwrap(),
    );
    let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
    assert!(found.is_empty(), "{what}: {shown:#?}");
}

#[tokio::test]
async fn a_partial_cancel_failing_after_any_step_leaves_no_trace() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
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
        shopcore::OrderReturns::cancel_units(&**store, placed.id, &three)
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
        shopcore::OrderReturns::cancel_units(&**store, held.id, &two)
    })
    .await;
    assert_eq!(released.refund, None);
    let payment = &released.order.payments[0];
    assert_eq!(payment.status, PaymentState::Authorized);
    assert!(payment.amount_released > shopcore::Money::ZERO);
    assert_eq!(store.order(held.id).await.unwrap(), released.order);
    audit_clean(store, "partial cancels").await;
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn returns_receipts_rejections_and_refunds_failing_after_any_step_leave_no_trace() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
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
            &**store,
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
        window: chrono::Duration::days(30),
    };
    let request_one = return_request(vec![units(1, 1)]);
    let asked = fails_without_trace(&db, &raw, &[WriteStep::ReturnCreated], || {
        shopcore::OrderReturns::create_return(&**store, order.id, &request_one, customer)
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
        shopcore::OrderReturns::receive_return(&**store, asked.id, None)
    })
    .await;
    assert_eq!(
        receipt.returned.as_ref().map(|r| (r.id, r.status)),
        Some((asked.id, shopcore::ReturnStatus::Received))
    );
    assert!(receipt.refund.is_some());
    let asked = shopcore::OrderReturns::create_return(&**store, order.id, &request_one, customer)
        .await
        .unwrap()
        .returned
        .unwrap();
    let rejected = fails_without_trace(&db, &raw, &[WriteStep::ReturnChanged], || {
        shopcore::OrderReturns::reject_return(&**store, asked.id)
    })
    .await;
    assert_eq!(
        rejected.returned.map(|r| r.status),
        Some(shopcore::ReturnStatus::Rejected)
    );
    let all = shopcore::OrderReturns::returns(&**store, None)
        .await
        .unwrap();
    assert_eq!(all.len(), 3);

    // A goodwill refund.
    let amount: shopcore::Money = "10.00".parse().unwrap();
    let request = shopcore::RefundRequest {
        amount,
        reason: None,
        key: Some("refund-1".parse().unwrap()),
    };
    let goodwill = fails_without_trace(&db, &raw, &WriteStep::REFUND, || {
        shopcore::OrderReturns::refund(&**store, order.id, &request)
    })
    .await;
    let refund = goodwill.refund.clone().expect("the refund");
    assert_eq!(
        (refund.kind, refund.amount),
        (shopcore::RefundKind::Goodwill, amount)
    );
    assert_eq!(store.order(order.id).await.unwrap(), goodwill.order);
    audit_clean(store, "returns and refunds").await;
    raw.close().await;
    db.drop_database().await;
}
