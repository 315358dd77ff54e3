//! Races on the real server: many concurrent buyers of scarce stock, carts
//! that lock products in opposite orders, and one idempotency key sent twice at once.

mod common;

use std::collections::BTreeMap;

use common::{request, stock_levels, TestDb};
use shopcore::{
    CatalogRepository, CustomerId, CustomerRepository, ErrorCode, ErrorKind, IdempotencyKey,
    NotificationFilter, NotificationKind, NotificationRepository, OrderRepository, OrderWorkflow,
    ProductId,
};
use shopcore_mysql::PoolSettings;

fn settings() -> PoolSettings {
    PoolSettings {
        max_connections: 24,
        ..PoolSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn forty_eight_concurrent_buyers_of_ten_monitors_get_exactly_ten_orders() {
    let Some(db) = TestDb::seeded_with(settings()).await else {
        return;
    };
    let store = db.store.clone();
    let monitor = ProductId::new(4).unwrap();
    store.adjust_stock(monitor, -65).await.unwrap(); // 75 → 10

    let tasks: Vec<_> = (0..48)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.checkout(&request(i % 3 + 1, &[(4, 1)]), None).await })
        })
        .collect();
    let mut placed = Vec::new();
    for task in tasks {
        match task.await.unwrap() {
            Ok(order) => placed.push(order),
            Err(e) => assert_eq!(e.kind(), ErrorKind::InsufficientStock, "{e}"),
        }
    }
    assert_eq!(placed.len(), 10);
    assert_eq!(store.product(monitor).await.unwrap().quantity_available, 0);

    // Points and notification rows match the orders exactly.
    let starting = BTreeMap::from([(1, 100i64), (2, 250), (3, 50)]);
    let mut orders = 0;
    for (&customer, &start) in &starting {
        let id = CustomerId::new(customer).unwrap();
        let history = store.orders_of_customer(id).await.unwrap();
        let earned: u64 = history.iter().map(|o| o.points_earned).sum();
        let earned = i64::try_from(earned).unwrap();
        assert_eq!(
            store.customer(id).await.unwrap().loyalty_points,
            start + earned
        );
        orders += history.len();
    }
    assert_eq!(orders, 10);
    let log = store
        .notifications(NotificationFilter::default())
        .await
        .unwrap();
    assert_eq!(log.len(), 10);
    assert!(log
        .iter()
        .all(|n| n.kind == NotificationKind::OrderConfirmation));
    let mut logged: Vec<_> = log.iter().map(|n| n.order_id).collect();
    let mut ordered: Vec<_> = placed.iter().map(|p| p.order.id).collect();
    logged.sort();
    ordered.sort();
    assert_eq!(logged, ordered);

    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn carts_locking_products_in_opposite_orders_all_complete_and_conserve_stock() {
    let Some(db) = TestDb::seeded_with(settings()).await else {
        return;
    };
    let before = stock_levels(&db.store).await;
    let tasks: Vec<_> = (0..32i64)
        .map(|i| {
            let store = db.store.clone();
            // Listed in opposite orders; the adapter locks by product id regardless.
            let lines = if i % 2 == 0 {
                [(1, 1), (2, 1), (3, 1)]
            } else {
                [(3, 1), (2, 1), (1, 1)]
            };
            tokio::spawn(async move {
                let placed = store
                    .checkout(&request(i % 3 + 1, &lines), None)
                    .await
                    .map_err(|e| e.to_string())?;
                if i % 4 == 0 {
                    store
                        .cancel(placed.order.id)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                Ok::<_, String>(())
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let after = stock_levels(&db.store).await;
    // 32 orders of one unit each of products 1–3; the 8 with i % 4 == 0 were cancelled.
    assert_eq!(after[..3], [before[0] - 24, before[1] - 24, before[2] - 24]);
    assert_eq!(after[3..], before[3..]);
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_idempotency_key_sent_eight_times_at_once_places_one_order() {
    let Some(db) = TestDb::seeded_with(settings()).await else {
        return;
    };
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let store = db.store.clone();
            tokio::spawn(async move {
                let key = IdempotencyKey::parse("same-key").unwrap();
                store.checkout(&request(2, &[(5, 2)]), Some(&key)).await
            })
        })
        .collect();
    let mut ids = Vec::new();
    let mut replays = 0;
    for task in tasks {
        let placed = task.await.unwrap().unwrap();
        replays += usize::from(placed.replayed);
        ids.push(placed.order.id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every request must see the same order");
    assert_eq!(replays, 7);
    assert_eq!(
        db.store
            .product(ProductId::new(5).unwrap())
            .await
            .unwrap()
            .quantity_available,
        98
    );
    let log = db
        .store
        .notifications(NotificationFilter::default())
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].kind, NotificationKind::OrderConfirmation);
    db.drop_database().await;
}
