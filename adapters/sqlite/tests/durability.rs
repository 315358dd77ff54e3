//! An order acknowledged to a client survives the process being killed: a
//! child process places (and now and then cancels) orders on a file from
//! several tasks and prints each acknowledged one at once; the parent
//! kills it with `SIGKILL` at some point of its stream, reopens the file
//! with `SqliteStore::open` (no connection of its own was open meanwhile,
//! so the reopen recovers from what the killed process left on disk: the
//! database, its WAL and shared-memory files), and finds every printed
//! order as printed, every printed cancel done, every idempotency key
//! still bound to its order, an intact file, and books that balance. Round
//! after round on the same file.
//!
//! `SIGKILL` ends the process, not the machine: what this proves is that a
//! `COMMIT` has reached the operating system before it is acknowledged.
//! What survives a power loss is what `synchronous = FULL` promises on top
//! (the WAL is synced at every commit), which a test cannot cut power to show.

mod common;

use std::time::{Duration, Instant};

use common::children::{self, say, Children, Heard};
use common::{assert_audit_clean, block_on, request, TestDb};
use shopcore::{
    CatalogRepository, CheckoutRequest, IdempotencyKey, OrderId, OrderRepository, OrderStatus,
    OrderWorkflow, ProductId, ShopConfig,
};
use shopcore_sqlite::SqliteStore;

/// Tasks placing orders at once in the child.
const TASKS: usize = 4;
/// Rounds, each one child killed.
const ROUNDS: usize = 4;
/// The child is killed once the parent has read this many placed orders
/// (more each round; then a few milliseconds later each round), or after
/// [`WAIT`].
const KILL_AFTER: usize = 30;
const WAIT: Duration = Duration::from_secs(15);

/// The order task `task` places as its `n`th: one unit of a product, by
/// one of the three customers.
fn nth_request(task: usize, n: usize) -> (i64, i64) {
    let customer = i64::try_from((task + n) % 3 + 1).unwrap();
    let product = i64::try_from((task * 7 + n) % 5 + 1).unwrap();
    (customer, product)
}

fn keyed(customer: i64, product: i64) -> CheckoutRequest {
    request(customer, &[(product, 1)])
}

/// The child: places keyed orders from [`TASKS`] tasks until killed (or,
/// if nobody kills it, for a while), cancelling every fifth; says each one
/// as soon as the store has acknowledged it.
#[test]
fn child() {
    let Some(role) = children::role() else {
        return;
    };
    assert_eq!(role, "orders");
    let path = children::var("SHOPCORE_TEST_DB");
    let round = children::var("SHOPCORE_TEST_ROUND");
    block_on(async {
        let store = std::sync::Arc::new(
            SqliteStore::open(&path, ShopConfig::default())
                .await
                .expect("the child opens the file"),
        );
        let until = Instant::now() + Duration::from_secs(30);
        let tasks: Vec<_> = (0..TASKS)
            .map(|task| {
                let store = store.clone();
                let round = round.clone();
                tokio::spawn(async move {
                    let mut n = 0;
                    while Instant::now() < until {
                        let (customer, product) = nth_request(task, n);
                        let key = format!("kill-{round}-{task}-{n}");
                        let placed = store
                            .checkout(
                                &keyed(customer, product),
                                Some(&IdempotencyKey::parse(&key).unwrap()),
                            )
                            .await
                            .expect("checkout");
                        let order = placed.order;
                        say(format!(
                            "placed {} {} {key} {customer} {product}",
                            order.id.get(),
                            order.total_amount
                        ));
                        if n % 5 == 4 {
                            store.cancel(order.id).await.expect("cancel");
                            say(format!("cancelled {}", order.id.get()));
                        }
                        n += 1;
                    }
                })
            })
            .collect();
        for task in tasks {
            task.await.unwrap();
        }
    });
}

/// An order the child said it placed.
#[derive(Debug)]
struct Placed {
    id: OrderId,
    total: String,
    key: String,
    customer: i64,
    product: i64,
}

fn parse_placed(line: &str) -> Placed {
    let words: Vec<&str> = line.split(' ').collect();
    let [id, total, key, customer, product] = words[..] else {
        panic!("placed {line:?}");
    };
    Placed {
        id: OrderId::new(id.parse().unwrap()).unwrap(),
        total: total.to_owned(),
        key: key.to_owned(),
        customer: customer.parse().unwrap(),
        product: product.parse().unwrap(),
    }
}

async fn scalar(store: &SqliteStore, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(store.pool())
        .await
        .unwrap()
}

#[test]
fn every_order_acknowledged_before_a_sigkill_is_there_after_reopening() {
    block_on(async {
        let db = TestDb::seeded().await;
        // Stock for every round; then no connection of the parent's stays open.
        for product in 1..=5 {
            db.store
                .adjust_stock(ProductId::new(product).unwrap(), 500)
                .await
                .unwrap();
        }
        db.store.close().await;
        let path = db.path().display().to_string();
        let mut orders_so_far = scalar_on(&path, "SELECT COUNT(*) FROM orders").await;

        for round in 1..=ROUNDS {
            let kill_after = KILL_AFTER + 5 * (round - 1);
            let mut child = Children::spawn(1, "child", "orders", |_| {
                vec![
                    ("SHOPCORE_TEST_DB".to_owned(), path.clone()),
                    ("SHOPCORE_TEST_ROUND".to_owned(), round.to_string()),
                ]
            });
            let mut placed = Vec::new();
            let mut cancelled = Vec::new();
            let mut heard = |line: String| {
                if let Some(rest) = line.strip_prefix("placed ") {
                    placed.push(parse_placed(rest));
                } else if let Some(id) = line.strip_prefix("cancelled ") {
                    cancelled.push(OrderId::new(id.parse().unwrap()).unwrap());
                } else {
                    panic!("the child said {line:?}");
                }
            };
            // Read until enough orders were acknowledged, then kill at once.
            let deadline = Instant::now() + WAIT;
            let mut seen = 0;
            let mut closed = false;
            while seen < kill_after {
                match child.next(deadline) {
                    Some(Heard::Line(_, line)) => {
                        seen += usize::from(line.starts_with("placed "));
                        heard(line);
                    }
                    Some(Heard::Closed(_)) => {
                        closed = true;
                        break;
                    }
                    None => break,
                }
            }
            assert!(
                !closed,
                "round {round}: the child ended before it was killed"
            );
            // At once in the first round, a little later in the others: a
            // different point of the child's work each time.
            std::thread::sleep(Duration::from_millis(7 * (round as u64 - 1)));
            child.kill(0);
            let at_kill = seen;
            // What it said before it died is acknowledged too.
            let deadline = Instant::now() + WAIT;
            loop {
                match child.next(deadline) {
                    Some(Heard::Line(_, line)) => heard(line),
                    Some(Heard::Closed(_)) => break,
                    None => panic!("round {round}: the killed child's output never closed"),
                }
            }
            drop(child);
            assert!(at_kill > 0, "round {round}: no order within {WAIT:?}");

            // Reopen: as `make run` would after a crash.
            let store = SqliteStore::open(&path, ShopConfig::default())
                .await
                .expect("reopen after SIGKILL");
            store.migrate().await.expect("migrate is a no-op");
            let check: String = sqlx::query_scalar("PRAGMA integrity_check")
                .fetch_one(store.pool())
                .await
                .unwrap();
            assert_eq!(check, "ok", "round {round}");
            for p in &placed {
                let order = store
                    .order(p.id)
                    .await
                    .unwrap_or_else(|e| panic!("round {round}: acknowledged {p:?} lost: {e}"));
                assert_eq!(order.total_amount.to_string(), p.total, "{p:?}");
                assert_eq!(order.customer_id.get(), p.customer, "{p:?}");
                assert_eq!(
                    (order.items.len(), order.items[0].product_id.get()),
                    (1, p.product),
                    "{p:?}"
                );
                // Its key still names it: the same request replays it.
                let again = store
                    .checkout(
                        &keyed(p.customer, p.product),
                        Some(&IdempotencyKey::parse(&p.key).unwrap()),
                    )
                    .await
                    .unwrap();
                assert!(again.replayed, "{p:?}");
                assert_eq!(again.order.id, p.id, "{p:?}");
            }
            for &id in &cancelled {
                let order = store.order(id).await.unwrap();
                assert_eq!(order.status, OrderStatus::Cancelled, "round {round}: {id}");
            }
            // Committed but never acknowledged: at most one per task.
            let orders = scalar(&store, "SELECT COUNT(*) FROM orders").await;
            let unacknowledged = orders - orders_so_far - i64::try_from(placed.len()).unwrap();
            assert!(
                (0..=i64::try_from(TASKS).unwrap()).contains(&unacknowledged),
                "round {round}: {orders} orders, {} before, {} acknowledged",
                orders_so_far,
                placed.len()
            );
            orders_so_far = orders;
            assert_audit_clean(&store, &format!("after SIGKILL, round {round}")).await;
            eprintln!(
                "round {round}: killed after reading {at_kill} placed orders (+{} ms); \
                 {} placed and {} cancels acknowledged in all, every one found after \
                 reopening; {unacknowledged} committed but not acknowledged",
                7 * (round - 1),
                placed.len(),
                cancelled.len()
            );
            store.close().await;
        }
    });
}

/// One value read from the file at `path` by a store opened for it.
async fn scalar_on(path: &str, sql: &'static str) -> i64 {
    let store = SqliteStore::open(path, ShopConfig::default())
        .await
        .unwrap();
    let value = scalar(&store, sql).await;
    store.close().await;
    value
}
