//! What the store counts, on the real server: a deadlock the store's checkout
//! loses is rerun and counted as a deadlock retry (not a lock wait), and a
//! pool smaller than the number of concurrent checkouts counts its waits and
//! gives every connection back.

mod common;

use std::time::Duration;

use common::{request, TestDb};
use shopcore::{Instrumented, OrderWorkflow, RetryCause};
use shopcore_mysql::PoolSettings;
use sqlx::{Connection, MySqlConnection};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_deadlock_is_rerun_and_counted_as_a_deadlock() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let mut other = MySqlConnection::connect(&db.url).await.unwrap();
    sqlx::query("CREATE TABLE scratch (n INT NOT NULL)")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("BEGIN").execute(&mut other).await.unwrap();
    // Many changed rows make the other transaction the heavier one, so that
    // InnoDB picks the store's checkout as the deadlock victim.
    sqlx::query("INSERT INTO scratch SELECT seq FROM seq_1_to_2000")
        .execute(&mut other)
        .await
        .unwrap();
    sqlx::query("SELECT * FROM customers WHERE customer_id = 1 FOR UPDATE")
        .fetch_all(&mut other)
        .await
        .unwrap();
    let before = db.store.metrics();
    let store = db.store.clone();
    // The checkout locks inventory row 2, then waits for customer 1 ...
    let buyer = tokio::spawn(async move { store.checkout(&request(1, &[(2, 1)]), None).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    // ... which the other transaction holds while it asks for inventory row 2.
    sqlx::query("SELECT * FROM inventory WHERE product_id = 2 FOR UPDATE")
        .fetch_all(&mut other)
        .await
        .expect("the lighter transaction (the store's) is the deadlock victim");
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let placed = buyer.await.unwrap().expect("the rerun checkout completes");
    assert!(!placed.replayed);
    let after = db.store.metrics();
    assert_eq!(
        after.retries(RetryCause::Deadlock) - before.retries(RetryCause::Deadlock),
        1
    );
    assert_eq!(after.retries(RetryCause::LockWait), 0);
    assert_eq!(after.checkouts_placed - before.checkouts_placed, 1);
    other.close().await.unwrap();
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_checkouts_on_a_small_pool_count_their_waits() {
    let settings = PoolSettings {
        max_connections: 2,
        ..PoolSettings::default()
    };
    let Some(db) = TestDb::seeded_with(settings).await else {
        return;
    };
    let before = db.store.metrics().pool.expect("a MySQL store has a pool");
    assert_eq!(before.max_connections, 2);
    let buyers: Vec<_> = (0..16)
        .map(|i| {
            let store = db.store.clone();
            tokio::spawn(async move { store.checkout(&request(1 + i % 3, &[(2, 1)]), None).await })
        })
        .collect();
    for buyer in buyers {
        buyer.await.unwrap().expect("placed");
    }
    // A finished transaction's connection goes back to the pool from a task
    // of its own: give it a moment.
    let mut after = db.store.metrics();
    for _ in 0..100 {
        if after.pool.unwrap().in_use() == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
        after = db.store.metrics();
    }
    let pool = after.pool.unwrap();
    assert_eq!(pool.acquires - before.acquires, 16);
    // Sixteen at once on two connections: most had to wait for one.
    assert!(pool.waits - before.waits >= 8, "{pool:?}");
    assert!(pool.acquire_time > before.acquire_time, "{pool:?}");
    assert_eq!(pool.timeouts, 0);
    assert!(pool.open <= 2, "{pool:?}");
    assert_eq!(pool.in_use(), 0, "every connection is back: {pool:?}");
    assert_eq!(after.checkouts_placed, 16);
    db.drop_database().await;
}
