//! The ledger as SQLite stores it, the core audit over the real file, and
//! the apply paths' guards — ported from the MySQL adapter's
//! `audit_ledger.rs` where the conformance suite (which sees the books only
//! through the ports) does not already cover them: the rows and columns
//! actually written, damage done in SQL behind the store's back, and a
//! checkout or cancel whose rows change between its reads and its writes.
//!
//! Not ported: the cases where *another connection* commits a write between
//! a checkout's, cancel's or adjustment's snapshot and its movements
//! (`inject_committed_write_before_apply`). On SQLite a write transaction
//! begins with `BEGIN IMMEDIATE` and holds the file's one write lock until
//! its `COMMIT`, so no other writer can commit in between: the only way the
//! rows can change under a plan is a statement in the same transaction,
//! which `inject_statement_before_apply` produces and the cases below use.

mod common;

use common::{audit_findings, block_on, request, TestDb};
use shopcore::{
    CatalogRepository, CustomerId, CustomerRepository, ErrorCode, Instrumented, OrderRepository,
    OrderWorkflow, ProductId, RetryCause,
};
use sqlx::SqlitePool;

/// `(product or customer, delta, balance_after, reason, order_id)` in entry order.
type Row = (Option<i64>, Option<i64>, i64, i64, String, Option<i64>);

async fn ledger(pool: &SqlitePool) -> Vec<Row> {
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

#[test]
fn every_movement_is_a_ledger_row_with_its_reason_order_and_balance() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool();
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
            ledger(raw).await,
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
                .fetch_one(raw)
                .await
                .unwrap();
        assert_eq!(held, -50);
        let revoked: i64 =
            sqlx::query_scalar("SELECT points_revoked FROM orders WHERE order_id = ?")
                .bind(order)
                .fetch_one(raw)
                .await
                .unwrap();
        assert_eq!(revoked, 59);
        assert!(audit_findings(&db.store).await.is_empty());
        db.store.close().await;
    });
}

#[test]
fn the_audit_passes_on_a_real_history_and_reports_damage_done_in_sql() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool();
        let first = db
            .store
            .checkout(&request(1, &[(1, 1), (2, 10)]), None)
            .await
            .unwrap();
        let second = db
            .store
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
        let clean = audit_findings(&db.store).await;
        assert!(clean.is_empty(), "{clean:#?}");

        let second = second.order.id.get();
        for (damage, reported) in [
            (
                "UPDATE inventory SET quantity_available = quantity_available - 1 \
                 WHERE product_id = 3"
                    .to_owned(),
                "product 3: stock",
            ),
            (
                "UPDATE customers SET loyalty_points = loyalty_points + 5 WHERE customer_id = 2"
                    .to_owned(),
                "customer 2: points",
            ),
            (
                "UPDATE ledger_entries SET balance_after = balance_after + 1 WHERE product_id = 5"
                    .to_owned(),
                "product 5: stock ledger entry 0",
            ),
            (
                "DELETE FROM notification_log WHERE notification_type = 'order_cancellation'"
                    .to_owned(),
                "0 cancellation notices",
            ),
            (
                // Money is TEXT with two decimals on SQLite: written as such.
                format!(
                    "UPDATE orders SET tax = printf('%.2f', CAST(tax AS REAL) + 0.01) \
                     WHERE order_id = {second}"
                ),
                "!= total",
            ),
        ] {
            sqlx::query(sqlx::AssertSqlSafe(damage.clone()))
                .execute(raw)
                .await
                .unwrap();
            let found = audit_findings(&db.store).await;
            assert!(
                found.iter().any(|t| t.contains(reported)),
                "{damage}: {found:#?}"
            );
        }
        db.store.close().await;
    });
}

async fn stock(db: &TestDb, product: i64) -> u32 {
    db.store
        .product(ProductId::new(product).unwrap())
        .await
        .unwrap()
        .quantity_available
}

async fn points(db: &TestDb, customer: i64) -> i64 {
    db.store
        .customer(CustomerId::new(customer).unwrap())
        .await
        .unwrap()
        .loyalty_points
}

#[test]
fn a_checkout_moves_stock_and_points_from_the_stored_values_not_the_snapshot() {
    block_on(async {
        let db = TestDb::seeded().await;
        let raw = db.store.pool();
        let (stock_before, points_before) = (stock(&db, 2).await, points(&db, 1).await);

        // A write in the checkout's own transaction between its reads and
        // its movements: the movement starts from the stored value and the
        // ledger records what it left.
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
        assert_eq!(stock(&db, 2).await, stock_before - 1 - 10);
        let earned = placed.order.points_earned + second.order.points_earned;
        let points_after = points_before + 1 + i64::try_from(earned).unwrap();
        assert_eq!(points(&db, 1).await, points_after);
        let entries = ledger(raw).await;
        let product_2 = entries.iter().find(|e| e.0 == Some(2)).unwrap();
        assert_eq!(
            (product_2.2, product_2.3),
            (-10, i64::from(stock_before) - 11)
        );
        let last_points = entries.iter().rev().find(|e| e.1 == Some(1)).unwrap();
        assert_eq!(last_points.3, points_after);

        // A write in the transaction that leaves too little, made again in
        // every attempt: the first attempt finds product 2 short as it moves
        // it (product 1 already taken) and rolls back; the checkout is
        // decided again from locked rows (a stale-snapshot rerun), and that
        // plan finds the stored value diverged from what it read under the
        // lock — which on SQLite only its own transaction can do — and
        // refuses the whole transaction. Nothing of either attempt stays,
        // the injected writes included.
        let product_1_before = stock(&db, 1).await;
        let stock_2 = stock(&db, 2).await;
        let stale = || Instrumented::metrics(&db.store).retries(RetryCause::StaleSnapshot);
        let stale_before = stale();
        db.store.inject_statement_before_apply(Some(
            "UPDATE inventory SET quantity_available = 3 WHERE product_id = 2",
        ));
        let refused = db
            .store
            .checkout(&request(1, &[(1, 1), (2, 10)]), None)
            .await
            .unwrap_err();
        db.store.inject_statement_before_apply(None);
        assert_eq!(refused.code(), "storage_failure", "{refused}");
        assert!(
            refused
                .to_string()
                .contains("stored stock of products 1, 2 no longer matches the plan"),
            "{refused}"
        );
        assert_eq!(stale(), stale_before + 1);
        assert_eq!(stock(&db, 2).await, stock_2);
        assert_eq!(stock(&db, 1).await, product_1_before);
        assert_eq!(ledger(raw).await, entries);
        let clean = audit_findings(&db.store).await;
        // The two injected writes that committed moved stock and points
        // with no ledger entry: the audit finds them and nothing else (each
        // as a balance and as a ledger entry that disagree by one).
        assert_eq!(clean.len(), 4, "{clean:#?}");
        assert!(
            clean
                .iter()
                .all(|f| f.starts_with("product 2: ") && f.contains(" 189")
                    || f.starts_with("customer 1: ") && f.contains(" 233")),
            "{clean:#?}"
        );
        db.store.close().await;
    });
}

#[test]
fn a_stored_value_that_diverges_from_a_cancel_plan_rolls_everything_back() {
    block_on(async {
        let db = TestDb::seeded().await;
        let placed = db
            .store
            .checkout(&request(3, &[(4, 1)]), None)
            .await
            .unwrap();
        let entries = ledger(db.store.pool()).await;
        db.store
            .inject_statement_before_apply(Some("UPDATE orders SET status = 'cancelled'"));
        let refused = db.store.cancel(placed.order.id).await.unwrap_err();
        assert!(refused.to_string().contains("status of order"), "{refused}");
        db.store.inject_statement_before_apply(None);
        assert_eq!(stock(&db, 4).await, 74);
        assert_eq!(ledger(db.store.pool()).await, entries);
        assert_eq!(
            db.store.order(placed.order.id).await.unwrap().status,
            shopcore::OrderStatus::Created
        );
        assert!(audit_findings(&db.store).await.is_empty());
        db.store.close().await;
    });
}
