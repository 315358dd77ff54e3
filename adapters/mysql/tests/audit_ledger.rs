//! The ledger as MySQL stores it, the core audit over the real database, and
//! the apply paths' guards: a checkout moves stock and points from the stored
//! values (refusing exactly when too little is left), so does a cancel (falling
//! back to locked rows when its snapshot went stale), and a stored value that
//! diverges from a plan made from locked rows rolls the whole transaction back.

mod common;

use common::{request, TestDb};
use shopcore::{
    audit, seed, BooksRepository, CatalogRepository, CustomerId, CustomerRepository, ErrorCode,
    Opening, OrderRepository, OrderStatus, OrderWorkflow, ProductId, RetryCause, MAX_STOCK,
};
use sqlx::MySqlPool;

/// `(product or customer, delta, balance_after, reason, order_id)` in entry order.
type Row = (Option<i64>, Option<i64>, i64, i64, String, Option<i64>);

async fn ledger(pool: &MySqlPool) -> Vec<Row> {
    sqlx::query_as(
        "SELECT product_id, customer_id, delta, balance_after, reason, order_id \
         FROM ledger_entries ORDER BY entry_id",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

fn row(
    product: Option<i64>,
    customer: Option<i64>,
    delta: i64,
    after: i64,
    reason: &str,
    order: Option<i64>,
) -> Row {
    (product, customer, delta, after, reason.to_owned(), order)
}

#[tokio::test]
async fn every_movement_is_a_ledger_row_with_its_reason_order_and_balance() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    // Omar (50 points) buys 2 monitors (599.98 → 59 points), then cancels.
    let placed = db
        .store
        .checkout(&request(3, &[(4, 2)]), None)
        .await
        .unwrap();
    let order = Some(placed.order.id.get());
    db.store
        .adjust_stock(ProductId::new(4).unwrap(), 7)
        .await
        .unwrap();
    db.store
        .adjust_points(CustomerId::new(3).unwrap(), -100)
        .await
        .unwrap();
    let refused = db
        .store
        .adjust_points(CustomerId::new(3).unwrap(), -10)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "insufficient_points");
    db.store.cancel(placed.order.id).await.unwrap();
    assert_eq!(
        ledger(&raw).await,
        vec![
            row(Some(4), None, -2, 73, "order", order),
            row(None, Some(3), 59, 109, "order", order),
            row(Some(4), None, 7, 80, "manual", None),
            row(None, Some(3), -100, 9, "manual", None),
            row(Some(4), None, 2, 82, "cancel", order),
            // All 59 earned points are revoked, though only 9 are left:
            // Omar owes 50, and the row holds a balance below zero.
            row(None, Some(3), -59, -50, "cancel", order),
        ]
    );
    let held: i64 =
        sqlx::query_scalar("SELECT loyalty_points FROM customers WHERE customer_id = 3")
            .fetch_one(&raw)
            .await
            .unwrap();
    assert_eq!(held, -50);
    let revoked: i64 = sqlx::query_scalar("SELECT points_revoked FROM orders WHERE order_id = ?")
        .bind(order)
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(revoked, 59);
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn the_audit_passes_on_a_real_history_and_reports_damage_done_in_sql() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let opening = Opening::from_seed(&seed::demo_data());
    let first = db
        .store
        .checkout(&request(1, &[(1, 1), (2, 10)]), None)
        .await
        .unwrap();
    db.store
        .checkout(&request(2, &[(2, 3), (5, 1)]), None)
        .await
        .unwrap();
    db.store
        .adjust_stock(ProductId::new(2).unwrap(), 5)
        .await
        .unwrap();
    db.store
        .adjust_points(CustomerId::new(1).unwrap(), -200)
        .await
        .unwrap();
    db.store.cancel(first.order.id).await.unwrap();
    let clean = audit(&opening, &db.store.books().await.unwrap());
    assert!(clean.is_empty(), "{clean:#?}");

    for (damage, reported) in [
        (
            "UPDATE inventory SET quantity_available = quantity_available - 1 WHERE product_id = 3",
            "product 3: stock",
        ),
        (
            "UPDATE customers SET loyalty_points = loyalty_points + 5 WHERE customer_id = 2",
            "customer 2: points",
        ),
        (
            "UPDATE ledger_entries SET balance_after = balance_after + 1 WHERE product_id = 5",
            "product 5: stock ledger entry 0",
        ),
        (
            "DELETE FROM notification_log WHERE notification_type = 'order_cancellation'",
            "0 cancellation notices",
        ),
        (
            "UPDATE orders SET tax = tax + 0.01 WHERE order_id = 2",
            "!= total",
        ),
    ] {
        sqlx::query(damage).execute(&raw).await.unwrap();
        let found = audit(&opening, &db.store.books().await.unwrap());
        let text: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|t| t.contains(reported)),
            "{damage}: {text:#?}"
        );
    }
    raw.close().await;
    db.drop_database().await;
}

async fn stock(db: &TestDb) -> u32 {
    db.store
        .product(ProductId::new(2).unwrap())
        .await
        .unwrap()
        .quantity_available
}

async fn points(db: &TestDb) -> i64 {
    db.store
        .customer(CustomerId::new(1).unwrap())
        .await
        .unwrap()
        .loyalty_points
}

#[tokio::test]
async fn a_checkout_moves_stock_and_points_from_the_stored_values_not_the_snapshot() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let (stock_before, points_before) = (stock(&db).await, points(&db).await);

    // A write between the checkout's snapshot and its movements (as a
    // concurrent checkout's would be): the movement starts from the stored
    // value and the ledger records what it left.
    db.store.inject_statement_before_apply(Some(
        "UPDATE inventory SET quantity_available = quantity_available - 1 WHERE product_id = 2",
    ));
    let placed = db
        .store
        .checkout(&request(1, &[(1, 1), (2, 10)]), None)
        .await
        .unwrap();
    db.store.inject_statement_before_apply(Some(
        "UPDATE customers SET loyalty_points = loyalty_points + 1 WHERE customer_id = 1",
    ));
    let second = db
        .store
        .checkout(&request(1, &[(3, 1)]), None)
        .await
        .unwrap();
    db.store.inject_statement_before_apply(None);
    assert_eq!(stock(&db).await, stock_before - 1 - 10);
    let earned = placed.order.points_earned + second.order.points_earned;
    let points_after = points_before + 1 + i64::try_from(earned).unwrap();
    assert_eq!(points(&db).await, points_after);
    let entries = ledger(&raw).await;
    let product_2 = entries.iter().find(|e| e.0 == Some(2)).unwrap();
    assert_eq!(
        (product_2.2, product_2.3),
        (-10, i64::from(stock_before) - 11)
    );
    let last_points = entries.iter().rev().find(|e| e.1 == Some(1)).unwrap();
    assert_eq!(last_points.3, points_after);

    // A concurrent write, committed after the checkout's snapshot, that
    // leaves too little: the exact refusal, from the stored value, and
    // nothing of the checkout stays (product 1 was taken before 2 was found
    // short, and is back).
    let product_1 = || async { db.store.product(ProductId::new(1).unwrap()).await.unwrap() };
    let product_1_before = product_1().await.quantity_available;
    db.store.inject_committed_write_before_apply(
        "UPDATE inventory SET quantity_available = 3 WHERE product_id = 2",
    );
    let refused = db
        .store
        .checkout(&request(1, &[(1, 1), (2, 10)]), None)
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "insufficient_stock", "{refused}");
    assert!(
        refused
            .to_string()
            .contains("product 2: requested 10, available 3"),
        "{refused}"
    );
    assert_eq!(stock(&db).await, 3);
    assert_eq!(product_1().await.quantity_available, product_1_before);
    assert_eq!(ledger(&raw).await, entries);

    // A concurrent write that leaves just enough: the checkout takes it and
    // the ledger records 0 left, not the 13 the snapshot promised.
    db.store
        .adjust_stock(ProductId::new(2).unwrap(), 20)
        .await
        .unwrap();
    db.store.inject_committed_write_before_apply(
        "UPDATE inventory SET quantity_available = 10 WHERE product_id = 2",
    );
    db.store
        .checkout(&request(1, &[(1, 1), (2, 10)]), None)
        .await
        .unwrap();
    assert_eq!(stock(&db).await, 0);
    let last_stock = ledger(&raw)
        .await
        .into_iter()
        .rev()
        .find(|e| e.0 == Some(2))
        .unwrap();
    assert_eq!((last_stock.2, last_stock.3), (-10, 0));

    // Points the buyer spent elsewhere after the snapshot: the exact refusal,
    // and the stock this checkout had already taken is back.
    let entries = ledger(&raw).await;
    let balance = points(&db).await;
    let product_1_before = product_1().await.quantity_available;
    let mut redeeming = request(1, &[(1, 1)]);
    redeeming.redeem_points = u64::try_from(balance).unwrap();
    db.store.inject_committed_write_before_apply(
        "UPDATE customers SET loyalty_points = loyalty_points - 1 WHERE customer_id = 1",
    );
    let refused = db.store.checkout(&redeeming, None).await.unwrap_err();
    assert_eq!(refused.code(), "insufficient_points", "{refused}");
    assert_eq!(points(&db).await, balance - 1);
    assert_eq!(product_1().await.quantity_available, product_1_before);
    assert_eq!(ledger(&raw).await, entries);
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_stored_value_that_diverges_from_a_cancel_plan_rolls_everything_back() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let placed = db
        .store
        .checkout(&request(3, &[(4, 1)]), None)
        .await
        .unwrap();
    db.store
        .inject_statement_before_apply(Some("UPDATE orders SET status = 'cancelled'"));
    let refused = db.store.cancel(placed.order.id).await.unwrap_err();
    assert!(refused.to_string().contains("status of order"), "{refused}");
    db.store.inject_statement_before_apply(None);
    assert_eq!(
        db.store
            .product(ProductId::new(4).unwrap())
            .await
            .unwrap()
            .quantity_available,
        74
    );
    db.drop_database().await;
}

/// Product 4's stock now.
async fn product_4(db: &TestDb) -> u32 {
    db.store
        .product(ProductId::new(4).unwrap())
        .await
        .unwrap()
        .quantity_available
}

/// Omar's (customer 3) points now.
async fn omar(db: &TestDb) -> i64 {
    db.store
        .customer(CustomerId::new(3).unwrap())
        .await
        .unwrap()
        .loyalty_points
}

#[tokio::test]
async fn a_cancel_returns_stock_and_points_from_the_stored_values_and_falls_back_to_locked_rows() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let stale = || shopcore::Instrumented::metrics(&*db.store).retries(RetryCause::StaleSnapshot);
    let order = |units| {
        let store = db.store.clone();
        async move {
            store
                .checkout(&request(3, &[(4, units)]), None)
                .await
                .unwrap()
                .order
        }
    };

    // Stock another writer moved after the cancel's snapshot: the units come
    // back onto the stored level, and the ledger records the level left.
    let first = order(2).await;
    let level = product_4(&db).await;
    db.store.inject_committed_write_before_apply(
        "UPDATE inventory SET quantity_available = quantity_available - 5 WHERE product_id = 4",
    );
    db.store.cancel(first.id).await.unwrap();
    assert_eq!(product_4(&db).await, level - 5 + 2);
    let entries = ledger(&raw).await;
    let returned = entries.iter().rev().find(|e| e.0 == Some(4)).unwrap();
    assert_eq!(
        (returned.2, returned.3, returned.4.as_str()),
        (2, i64::from(level - 5 + 2), "cancel")
    );
    assert_eq!(stale(), 0, "the snapshot's plan held");

    // Points changed after the snapshot: the late plan's guard fails, and the
    // cancel is decided again from locked rows, with the balance as it is.
    let second = order(1).await;
    let balance = omar(&db).await;
    db.store.inject_committed_write_before_apply(
        "UPDATE customers SET loyalty_points = loyalty_points + 7 WHERE customer_id = 3",
    );
    let cancelled = db.store.cancel(second.id).await.unwrap();
    let expected = balance + 7 - i64::try_from(second.points_earned).unwrap();
    assert_eq!(cancelled.points_balance, expected);
    assert_eq!(omar(&db).await, expected);
    let revoked = ledger(&raw)
        .await
        .into_iter()
        .rev()
        .find(|e| e.1 == Some(3))
        .unwrap();
    assert_eq!(
        (revoked.2, revoked.3),
        (-i64::try_from(second.points_earned).unwrap(), expected)
    );
    assert_eq!(stale(), 1, "one locked rerun");

    // Stock raised after the snapshot so high that the units no longer fit:
    // decided again from locked rows, the exact refusal, and nothing stays
    // (the order's status and notice, written before the stock, are undone).
    let third = order(3).await;
    let entries = ledger(&raw).await;
    let notices = |pool: &MySqlPool| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM notification_log")
                .fetch_one(&pool)
                .await
                .unwrap()
        }
    };
    let notices_before = notices(&raw).await;
    let full = MAX_STOCK - 1;
    db.store.inject_committed_write_before_apply(&format!(
        "UPDATE inventory SET quantity_available = {full} WHERE product_id = 4"
    ));
    let refused = db.store.cancel(third.id).await.unwrap_err();
    assert_eq!(refused.code(), "stock_out_of_range", "{refused}");
    assert_eq!(product_4(&db).await, full);
    assert_eq!(
        db.store.order(third.id).await.unwrap().status,
        OrderStatus::Created
    );
    assert_eq!(ledger(&raw).await, entries);
    assert_eq!(notices(&raw).await, notices_before);
    assert_eq!(stale(), 2);
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_manual_adjustment_moves_the_row_it_read_or_is_decided_again_from_the_locked_row() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let stale = || shopcore::Instrumented::metrics(&*db.store).retries(RetryCause::StaleSnapshot);
    let (product, customer) = (ProductId::new(4).unwrap(), CustomerId::new(3).unwrap());

    // Nobody else wrote: the snapshot's plan holds, no rerun.
    let level = product_4(&db).await;
    let adjusted = db.store.adjust_stock(product, 3).await.unwrap();
    assert_eq!(adjusted.quantity_available, level + 3);
    assert_eq!(stale(), 0);

    // Another writer took 5 units after the snapshot: decided again from the
    // locked row, so the answer and the ledger hold the level actually left.
    db.store.inject_committed_write_before_apply(
        "UPDATE inventory SET quantity_available = quantity_available - 5 WHERE product_id = 4",
    );
    let adjusted = db.store.adjust_stock(product, -2).await.unwrap();
    assert_eq!(adjusted.quantity_available, level + 3 - 5 - 2);
    assert_eq!(product_4(&db).await, level + 3 - 5 - 2);
    let last = ledger(&raw).await.pop().unwrap();
    assert_eq!(
        last,
        row(Some(4), None, -2, i64::from(level - 4), "manual", None)
    );
    assert_eq!(stale(), 1);

    // A take that fitted the snapshot but not the stored level: the locked
    // rerun refuses it exactly, and nothing is written.
    let entries = ledger(&raw).await;
    let now = product_4(&db).await;
    db.store.inject_committed_write_before_apply(
        "UPDATE inventory SET quantity_available = quantity_available - 1 WHERE product_id = 4",
    );
    let refused = db
        .store
        .adjust_stock(product, -i64::from(now))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), "insufficient_stock", "{refused}");
    assert_eq!(product_4(&db).await, now - 1);
    assert_eq!(ledger(&raw).await, entries);
    assert_eq!(stale(), 2);

    // Points another writer added after the snapshot are kept.
    let balance = omar(&db).await;
    db.store.inject_committed_write_before_apply(
        "UPDATE customers SET loyalty_points = loyalty_points + 7 WHERE customer_id = 3",
    );
    let adjusted = db.store.adjust_points(customer, -4).await.unwrap();
    assert_eq!(adjusted.loyalty_points, balance + 7 - 4);
    assert_eq!(omar(&db).await, balance + 7 - 4);
    let last = ledger(&raw).await.pop().unwrap();
    assert_eq!(last, row(None, Some(3), -4, balance + 3, "manual", None));
    assert_eq!(stale(), 3);
    raw.close().await;
    db.drop_database().await;
}
