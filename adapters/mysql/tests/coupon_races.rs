//! The ACIDRain voucher anomaly on the real server: a coupon with N
//! redemptions left, raced by 64 buyers, is redeemed exactly N times; orders
//! racing to spend the same points spend only what the balance covers. After
//! each race the core audit finds the books balanced.

mod common;

use common::{request, TestDb};
use shopcore::{
    audit, seed, BooksRepository, CatalogRepository, Coupon, CouponCode, CouponRepository,
    CouponValue, CustomerId, CustomerRepository, ErrorCode, Opening, OrderWorkflow, ProductId,
};
use shopcore_mysql::PoolSettings;
use std::time::Duration;

fn settings() -> PoolSettings {
    PoolSettings {
        max_connections: 24,
        retry_budget: Duration::from_secs(10),
        ..PoolSettings::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixty_four_buyers_of_a_coupon_with_seven_uses_left_redeem_it_seven_times() {
    let Some(db) = TestDb::seeded_with(settings()).await else {
        return;
    };
    let store = db.store.clone();
    let code = CouponCode::parse("LAST7").unwrap();
    store
        .create_coupon(Coupon {
            max_redemptions: Some(7),
            ..Coupon::new(
                code.clone(),
                CouponValue::AmountOff("5.00".parse().unwrap()),
            )
        })
        .await
        .unwrap();

    let tasks: Vec<_> = (0..64)
        .map(|i| {
            let (store, code) = (store.clone(), code.clone());
            tokio::spawn(async move {
                // Every product, so that the buyers do not queue on one
                // product's row: only the coupon's row serialises them.
                let mut r = request(i % 3 + 1, &[(i % 5 + 1, 1)]);
                r.coupon = Some(code);
                store.checkout(&r, None).await
            })
        })
        .collect();
    let (mut placed, mut exhausted) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(order) => {
                assert_eq!(order.order.coupon_discount.to_string(), "5.00");
                placed += 1;
            }
            Err(e) => {
                assert_eq!(e.code(), "coupon_exhausted", "{e}");
                exhausted += 1;
            }
        }
    }
    eprintln!("coupon race: 64 buyers, 7 uses left: {placed} placed, {exhausted} coupon_exhausted");
    assert_eq!((placed, exhausted), (7, 57));
    let record = store.coupon(&code).await.unwrap().unwrap();
    assert_eq!(record.times_redeemed, 7);
    let mut sold = 0;
    for (id, start) in (1..).zip([50, 200, 150, 75, 100]) {
        let product = store.product(ProductId::new(id).unwrap()).await.unwrap();
        sold += start - product.quantity_available;
    }
    assert_eq!(sold, 7);
    let found = audit(
        &Opening::from_seed(&seed::demo_data()),
        &store.books().await.unwrap(),
    );
    assert!(found.is_empty(), "{found:?}");
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn orders_racing_to_spend_the_same_points_spend_only_the_balance() {
    let Some(db) = TestDb::seeded_with(settings()).await else {
        return;
    };
    let store = db.store.clone();
    let sara = CustomerId::new(2).unwrap(); // 250 points
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let store = store.clone();
            tokio::spawn(async move {
                let mut r = request(2, &[(3, 1)]); // a keyboard, 79.99
                r.redeem_points = 100;
                store.checkout(&r, None).await
            })
        })
        .collect();
    let (mut placed, mut refused) = (0, 0);
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => placed += 1,
            Err(e) => {
                assert_eq!(e.code(), "insufficient_points", "{e}");
                refused += 1;
            }
        }
    }
    // Each order spends 100 and earns floor(78.99 / 10) = 7: 250 → 157 → 64.
    eprintln!("points race: 16 orders of 100 points on a balance of 250: {placed} placed, {refused} insufficient_points");
    assert_eq!((placed, refused), (2, 14));
    assert_eq!(store.customer(sara).await.unwrap().loyalty_points, 64);
    let found = audit(
        &Opening::from_seed(&seed::demo_data()),
        &store.books().await.unwrap(),
    );
    assert!(found.is_empty(), "{found:?}");
    db.drop_database().await;
}
