//! The audit ledgers: manual adjustments and revoked points are recorded with
//! the change, refused changes record nothing, and the books balance from the
//! database alone.

mod common;

use common::{request, TestDb};
use shopcore::{
    CatalogRepository, CustomerId, CustomerRepository, ErrorCode, OrderWorkflow, ProductId,
};
use sqlx::MySqlPool;

async fn ledger(pool: &MySqlPool, sql: &str, id: i64) -> Vec<(i64, i64)> {
    sqlx::query_as(sql).bind(id).fetch_all(pool).await.unwrap()
}

async fn stock_ledger(pool: &MySqlPool, product: i64) -> Vec<(i64, i64)> {
    let sql = "SELECT quantity_change, CAST(quantity_after AS SIGNED) FROM stock_adjustments \
               WHERE product_id = ? ORDER BY adjustment_id";
    ledger(pool, sql, product).await
}

async fn points_ledger(pool: &MySqlPool, customer: i64) -> Vec<(i64, i64)> {
    let sql = "SELECT points_change, points_after FROM loyalty_adjustments \
               WHERE customer_id = ? ORDER BY adjustment_id";
    ledger(pool, sql, customer).await
}

#[tokio::test]
async fn adjustments_are_recorded_with_the_change_and_refusals_record_nothing() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let monitor = ProductId::new(4).unwrap(); // 75 in stock
    db.store.adjust_stock(monitor, 7).await.unwrap();
    db.store.adjust_stock(monitor, -80).await.unwrap();
    let refused = db.store.adjust_stock(monitor, -3).await.unwrap_err();
    assert_eq!(refused.code(), "insufficient_stock");
    assert_eq!(stock_ledger(&raw, 4).await, vec![(7, 82), (-80, 2)]);

    let omar = CustomerId::new(3).unwrap(); // 50 points
    db.store.adjust_points(omar, -20).await.unwrap();
    let refused = db.store.adjust_points(omar, -31).await.unwrap_err();
    assert_eq!(refused.code(), "insufficient_points");
    assert_eq!(points_ledger(&raw, 3).await, vec![(-20, 30)]);
    assert!(points_ledger(&raw, 1).await.is_empty());
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_cancel_records_the_points_it_revoked_and_the_books_balance() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let customer = CustomerId::new(3).unwrap();
    let start_points = db.store.customer(customer).await.unwrap().loyalty_points as i64;
    let start_stock = db.store.products().await.unwrap();

    // Earn points, spend most of them, cancel: fewer points come back than were earned.
    let placed = db
        .store
        .checkout(&request(3, &[(1, 2)]), None)
        .await
        .unwrap();
    let earned = placed.order.points_earned as i64;
    assert!(earned > 0);
    let held = db.store.customer(customer).await.unwrap().loyalty_points as i64;
    db.store.adjust_points(customer, -(held - 1)).await.unwrap();
    let kept = db
        .store
        .checkout(&request(3, &[(2, 1)]), None)
        .await
        .unwrap();
    db.store
        .adjust_stock(ProductId::new(2).unwrap(), 4)
        .await
        .unwrap();
    let cancelled = db.store.cancel(placed.order.id).await.unwrap();
    // 1 point left + the kept order's points: that is all the cancel can take back.
    assert_eq!(cancelled.points_revoked, 1 + kept.order.points_earned);
    assert!(cancelled.points_revoked < placed.order.points_earned);
    let revoked: i64 = sqlx::query_scalar("SELECT points_revoked FROM orders WHERE order_id = ?")
        .bind(placed.order.id.get())
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(revoked, cancelled.points_revoked as i64);

    // points = start + earned − revoked + adjustments, from SQL alone
    let books: i64 = sqlx::query_scalar(
        "SELECT CAST(? + (SELECT COALESCE(SUM(points_earned - points_revoked), 0) FROM orders WHERE customer_id = ?) \
                + (SELECT COALESCE(SUM(points_change), 0) FROM loyalty_adjustments WHERE customer_id = ?) AS SIGNED)",
    )
    .bind(start_points)
    .bind(customer.get())
    .bind(customer.get())
    .fetch_one(&raw)
    .await
    .unwrap();
    let now = db.store.customer(customer).await.unwrap().loyalty_points as i64;
    assert_eq!(books, now);
    assert_eq!(now, 0);

    // stock = start − units in live orders + adjustments, for every product
    for product in start_stock {
        let id = product.id.get();
        let books: i64 = sqlx::query_scalar(
            "SELECT CAST(? - (SELECT COALESCE(SUM(i.quantity), 0) FROM order_items i \
                              JOIN orders o ON o.order_id = i.order_id \
                              WHERE o.status = 'created' AND i.product_id = ?) \
                   + (SELECT COALESCE(SUM(quantity_change), 0) FROM stock_adjustments WHERE product_id = ?) AS SIGNED)",
        )
        .bind(i64::from(product.quantity_available))
        .bind(id)
        .bind(id)
        .fetch_one(&raw)
        .await
        .unwrap();
        let now = db
            .store
            .product(product.id)
            .await
            .unwrap()
            .quantity_available;
        assert_eq!(books, i64::from(now), "product {id}");
    }
    raw.close().await;
    db.drop_database().await;
}
