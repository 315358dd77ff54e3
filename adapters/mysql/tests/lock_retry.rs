//! Every statement's lock-wait timeout reaches the retry loop: a second
//! connection holds a row lock past the (session) lock-wait timeout on an
//! inventory row, on the customer row and on the order row; the checkout or
//! cancel waits, times out, is rerun, and completes once the hold ends — and
//! gives up with `storage_unavailable` only once its time budget is spent,
//! having written nothing.

mod common;

use std::time::{Duration, Instant};

use common::{request, stock_levels, TestDb};
use shopcore::{ErrorCode, ErrorKind, Instrumented, OrderWorkflow, RetryCause};
use shopcore_mysql::PoolSettings;
use sqlx::{AssertSqlSafe, Connection, MySqlConnection};

const LOCK_WAIT: Duration = Duration::from_secs(1);
/// Longer than one lock wait, shorter than the time budget.
const HOLD: Duration = Duration::from_millis(2_500);
/// Time enough for the hold and a few lock waits.
const BUDGET: Duration = Duration::from_secs(5);

fn settings(retry_budget: Duration) -> PoolSettings {
    PoolSettings {
        retry_budget,
        lock_wait_timeout: Some(LOCK_WAIT),
        ..PoolSettings::default()
    }
}

/// Opens a transaction on its own connection that locks what `lock_sql` selects.
async fn hold(db: &TestDb, lock_sql: &str) -> MySqlConnection {
    let mut conn = MySqlConnection::connect(&db.url).await.unwrap();
    sqlx::query("BEGIN").execute(&mut conn).await.unwrap();
    // The test's own statement (a literal, or one with an order id in it).
    sqlx::query(AssertSqlSafe(lock_sql))
        .fetch_all(&mut conn)
        .await
        .unwrap();
    conn
}

async fn release_after(mut conn: MySqlConnection, after: Duration) {
    tokio::time::sleep(after).await;
    sqlx::query("COMMIT").execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

/// A checkout of Laptop + Mouse by Ahmed while `lock_sql` is held for [`HOLD`].
async fn checkout_through_a_hold_of(lock_sql: &str) {
    let Some(db) = TestDb::seeded_with(settings(BUDGET)).await else {
        return;
    };
    let holder = hold(&db, lock_sql).await;
    let started = Instant::now();
    let store = db.store.clone();
    let buyer =
        tokio::spawn(async move { store.checkout(&request(1, &[(1, 1), (2, 3)]), None).await });
    release_after(holder, HOLD).await;
    let placed = buyer
        .await
        .unwrap()
        .expect("the checkout completes once the hold ends");
    // It waited out at least one full lock-wait timeout, so it was rerun.
    assert!(started.elapsed() >= HOLD, "{:?}", started.elapsed());
    assert_eq!(placed.order.items.len(), 2);
    assert_eq!(stock_levels(&db.store).await[..2], [49, 197]);
    let metrics = db.store.metrics();
    assert!(metrics.retries(RetryCause::LockWait) >= 1, "{metrics:?}");
    assert_eq!(metrics.retries(RetryCause::Deadlock), 0);
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_outlasts_a_lock_held_on_an_inventory_row() {
    checkout_through_a_hold_of("SELECT * FROM inventory WHERE product_id = 2 FOR UPDATE").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_checkout_outlasts_a_lock_held_on_the_customer_row() {
    checkout_through_a_hold_of("SELECT * FROM customers WHERE customer_id = 1 FOR UPDATE").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cancel_outlasts_a_lock_held_on_the_order_row() {
    let Some(db) = TestDb::seeded_with(settings(BUDGET)).await else {
        return;
    };
    let placed = db
        .store
        .checkout(&request(2, &[(4, 2)]), None)
        .await
        .unwrap();
    let id = placed.order.id;
    let holder = hold(
        &db,
        &format!("SELECT * FROM orders WHERE order_id = {id} FOR UPDATE"),
    )
    .await;
    let started = Instant::now();
    let store = db.store.clone();
    let canceller = tokio::spawn(async move { store.cancel(id).await });
    release_after(holder, HOLD).await;
    let cancelled = canceller
        .await
        .unwrap()
        .expect("the cancel completes once the hold ends");
    assert!(started.elapsed() >= HOLD, "{:?}", started.elapsed());
    assert_eq!(cancelled.order.id, id);
    assert_eq!(stock_levels(&db.store).await[3], 75);
    db.drop_database().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hold_longer_than_every_retry_is_storage_unavailable_and_writes_nothing() {
    let Some(db) = TestDb::seeded_with(settings(LOCK_WAIT * 3 / 2)).await else {
        return;
    };
    let before = stock_levels(&db.store).await;
    let holder = hold(
        &db,
        "SELECT * FROM inventory WHERE product_id = 1 FOR UPDATE",
    )
    .await;
    let started = Instant::now();
    let refused = db
        .store
        .checkout(&request(1, &[(1, 1)]), None)
        .await
        .unwrap_err();
    let waited = started.elapsed();
    assert_eq!(refused.code(), "storage_unavailable", "{refused}");
    assert!(
        refused.to_string().contains("gave up after 2 retries in 3"),
        "{refused}"
    );
    // A budget of 1.5 lock waits: the first attempt waits one out; the two
    // reruns every call gets wait out two more; then no time is left.
    // Three lock waits, not fewer and not forever.
    assert!(
        waited >= 3 * LOCK_WAIT && waited < 4 * LOCK_WAIT,
        "{waited:?}"
    );
    release_after(holder, Duration::ZERO).await;
    assert_eq!(stock_levels(&db.store).await, before);
    // The two reruns, then the refusal, each counted once.
    let metrics = db.store.metrics();
    assert_eq!(metrics.retries(RetryCause::LockWait), 2);
    assert_eq!(metrics.refused(ErrorKind::StorageUnavailable), 1);
    assert_eq!(metrics.checkouts_placed, 0);
    db.drop_database().await;
}
