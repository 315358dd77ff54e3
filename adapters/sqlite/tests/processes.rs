//! Several processes on one database file, as gunicorn workers, a
//! dispatcher and a CLI share it: the test binary starts copies of itself
//! (see `common::children`), each with its own `SqliteStore` (its own pool)
//! on the file, and they race.
//!
//! - 8 processes race for the last 10 units of one product, each buying
//!   1–3 units again and again until even 1 is refused: exactly 10 are
//!   sold, the stock ends at 0 and never went below it, and the books
//!   balance — round after round.
//! - 4 processes send the same checkout under the same idempotency key at
//!   once: one order, the same id for all, three replays.
//!
//! The outcome is the invariant, never a timing; what each process bought
//! and how many transactions it reran because the file was busy are printed
//! (`--nocapture`) for the record.

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::children::{self, listen, say, Children};
use common::{assert_audit_clean, block_on, request, TestDb};
use shopcore::{
    CatalogRepository, ErrorCode, ErrorKind, IdempotencyKey, Instrumented, NotificationFilter,
    NotificationRepository, OrderRepository, OrderWorkflow, ProductId, RetryCause, ShopConfig,
};
use shopcore_sqlite::{SqliteSettings, SqliteStore};

/// The product raced for: the monitor (75 in the seed).
const MONITOR: i64 = 4;
/// The product bought under one key: headphones (100 in the seed).
const HEADPHONES: i64 = 5;
/// Units left for each race round.
const LAST_UNITS: u32 = 10;
const RACERS: usize = 8;
const RACE_ROUNDS: usize = 5;
const KEY_SENDERS: usize = 4;
const KEY_ROUNDS: usize = 10;
/// How long the parent waits for every child to answer one step.
const STEP: Duration = Duration::from_secs(30);

/// The child's side of every race here (see the module docs of
/// `common::children`): nothing in the ordinary test run.
#[test]
fn child() {
    let Some(role) = children::role() else {
        return;
    };
    let path = children::var("SHOPCORE_TEST_DB");
    let index: usize = children::var("SHOPCORE_TEST_CHILD").parse().unwrap();
    block_on(async {
        let mut settings = SqliteSettings::default();
        if let Ok(ms) = std::env::var("SHOPCORE_TEST_BUSY_MS") {
            settings.busy_timeout = Duration::from_millis(ms.parse().unwrap());
        }
        let store = open(&path, settings).await;
        let mut seen = (0, 0);
        loop {
            say("ready");
            let Some(go) = listen() else { break };
            let said = match role.as_str() {
                "race" => buy_until_none_left(&store, index).await,
                "same-key" => {
                    let key = go.strip_prefix("go ").expect("go KEY");
                    send_key(&store, key).await
                }
                other => panic!("unknown role {other}"),
            };
            // What this round reran (the store's counters only grow).
            let metrics = store.metrics();
            let now = (
                metrics.retries(RetryCause::Busy),
                metrics.retries(RetryCause::StaleSnapshot),
            );
            say(format!(
                "done {said} busy={} stale={}",
                now.0 - seen.0,
                now.1 - seen.1
            ));
            seen = now;
        }
        store.close().await;
    });
}

/// Opens the file as a child does. Opening tries the write lock once (to
/// refuse a read-only file at once), so without a busy timeout it fails
/// while another process holds the lock — as the other children's opens
/// do: then it is tried again, a little later.
async fn open(path: &str, settings: SqliteSettings) -> SqliteStore {
    let mut tries = 0;
    loop {
        match SqliteStore::open_with(path, ShopConfig::default(), settings.clone()).await {
            Ok(store) => return store,
            Err(e)
                if settings.busy_timeout.is_zero()
                    && tries < 100
                    && e.to_string().contains("database is locked") =>
            {
                tries += 1;
                tokio::time::sleep(Duration::from_millis(10)).await;
            }
            Err(e) => panic!("a child opens the file: {e}"),
        }
    }
}

/// Buys monitors, 1–3 at a time, until even one is refused as out of
/// stock; answers `id:units,…` of the orders placed (`-` for none).
async fn buy_until_none_left(store: &SqliteStore, index: usize) -> String {
    let customer = i64::try_from(index % 3 + 1).unwrap();
    let mut bought = Vec::new();
    let mut units = index % 3 + 1;
    let mut attempt = 0;
    loop {
        let wanted = i64::try_from(units).unwrap();
        match store
            .checkout(&request(customer, &[(MONITOR, wanted)]), None)
            .await
        {
            Ok(placed) => {
                bought.push(format!("{}:{units}", placed.order.id.get()));
                attempt += 1;
                units = (index + attempt) % 3 + 1;
            }
            // Fewer left than wanted: try for fewer; none left: done.
            Err(e) if e.kind() == ErrorKind::InsufficientStock && units > 1 => units -= 1,
            Err(e) if e.kind() == ErrorKind::InsufficientStock => break,
            Err(e) => panic!("child {index}: {e}"),
        }
    }
    if bought.is_empty() {
        "-".to_owned()
    } else {
        bought.join(",")
    }
}

/// Sends the one keyed checkout; answers `id replayed`.
async fn send_key(store: &SqliteStore, key: &str) -> String {
    let key = IdempotencyKey::parse(key).unwrap();
    let placed = store
        .checkout(&request(2, &[(HEADPHONES, 2)]), Some(&key))
        .await
        .expect("the keyed checkout");
    format!("{} {}", placed.order.id.get(), placed.replayed)
}

/// A child's `done` line: what it said, and its busy and stale reruns.
fn parse_done(line: &str) -> (&str, u64, u64) {
    let (said, counts) = line.split_once(" busy=").expect("busy=");
    let (busy, stale) = counts.split_once(" stale=").expect("stale=");
    (said, busy.parse().unwrap(), stale.parse().unwrap())
}

/// `count` children in `role` on `db`'s file, with a busy timeout of
/// `busy_timeout` (the default 5 s if `None`).
fn children(db: &TestDb, count: usize, role: &str, busy_timeout: Option<Duration>) -> Children {
    let path = db.path().display().to_string();
    Children::spawn(count, "child", role, |i| {
        let mut env = vec![
            ("SHOPCORE_TEST_DB".to_owned(), path.clone()),
            ("SHOPCORE_TEST_CHILD".to_owned(), i.to_string()),
        ];
        if let Some(timeout) = busy_timeout {
            env.push((
                "SHOPCORE_TEST_BUSY_MS".to_owned(),
                timeout.as_millis().to_string(),
            ));
        }
        env
    })
}

async fn scalar(db: &TestDb, sql: &'static str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(db.store.pool())
        .await
        .unwrap()
}

#[test]
fn eight_processes_racing_for_the_last_ten_units_sell_exactly_ten() {
    block_on(race("race", None, None));
}

/// Without a busy timeout, a process that finds another holding the
/// file's write lock gets `SQLITE_BUSY` at once: the transaction is rerun
/// (after a short pause) and counted as `busy`, and the race ends as
/// before. The parent holds the write lock for a moment as each round
/// starts, so that the processes' first attempts find the file busy.
#[test]
fn without_a_busy_timeout_busy_transactions_are_rerun_and_ten_units_are_still_sold() {
    let busy = block_on(race(
        "race without a busy timeout",
        Some(Duration::ZERO),
        Some(Duration::from_millis(200)),
    ));
    assert!(busy > 0, "some attempt found the file busy");
}

/// Runs [`RACE_ROUNDS`] rounds of [`RACERS`] processes (with `busy_timeout`)
/// buying the last [`LAST_UNITS`] monitors, the parent holding the write
/// lock for `hold` as each round starts; asserts every invariant and
/// answers the busy reruns counted in all.
async fn race(what: &str, busy_timeout: Option<Duration>, hold: Option<Duration>) -> u64 {
    {
        let db = TestDb::seeded().await;
        let monitor = ProductId::new(MONITOR).unwrap();
        let mut procs = children(&db, RACERS, "race", busy_timeout);
        let mut sold_ids = BTreeSet::new();
        let (mut total_busy, mut total_stale) = (0, 0);
        for round in 1..=RACE_ROUNDS {
            procs.each_says("ready", STEP);
            // The last units: 75 → 10 at first, then 0 → 10.
            let left = db.store.product(monitor).await.unwrap().quantity_available;
            let change = i64::from(LAST_UNITS) - i64::from(left);
            db.store.adjust_stock(monitor, change).await.unwrap();
            let started = Instant::now();
            let held = match hold {
                Some(hold) => {
                    let mut conn = db.store.pool().acquire().await.unwrap();
                    sqlx::query("BEGIN IMMEDIATE")
                        .execute(&mut *conn)
                        .await
                        .unwrap();
                    Some((conn, hold))
                }
                None => None,
            };
            procs.tell_all("go");
            if let Some((mut conn, hold)) = held {
                tokio::time::sleep(hold).await;
                sqlx::query("COMMIT").execute(&mut *conn).await.unwrap();
            }
            let done = procs.each_says("done", STEP);
            let took = started.elapsed();

            let mut units_by_process = Vec::new();
            let mut busy_by_process = Vec::new();
            let mut round_units = 0;
            for (i, line) in done.iter().enumerate() {
                let (said, busy, stale) = parse_done(line);
                let mut units = 0;
                for order in said.split(',').filter(|o| *o != "-") {
                    let (id, qty) = order.split_once(':').unwrap();
                    let qty: u32 = qty.parse().unwrap();
                    units += qty;
                    let id: i64 = id.parse().unwrap();
                    assert!(sold_ids.insert(id), "order {id} reported twice (child {i})");
                    let stored = db
                        .store
                        .order(shopcore::OrderId::new(id).unwrap())
                        .await
                        .unwrap();
                    assert_eq!(stored.items.len(), 1);
                    assert_eq!(
                        (stored.items[0].product_id, stored.items[0].quantity.get()),
                        (monitor, qty)
                    );
                }
                units_by_process.push(units);
                busy_by_process.push(busy);
                round_units += units;
                total_busy += busy;
                total_stale += stale;
            }
            eprintln!(
                "{what}, round {round}: units sold per process {units_by_process:?} \
                 (sum {round_units}), busy reruns per process {busy_by_process:?}, {} ms",
                took.as_millis()
            );
            assert_eq!(round_units, LAST_UNITS, "round {round}: {done:?}");
            assert_eq!(
                db.store.product(monitor).await.unwrap().quantity_available,
                0
            );
            // What the file holds agrees with what the processes were told.
            let stored_units = scalar(
                &db,
                "SELECT COALESCE(SUM(quantity), 0) FROM order_items WHERE product_id = 4",
            )
            .await;
            assert_eq!(
                stored_units,
                i64::from(LAST_UNITS) * i64::try_from(round).unwrap()
            );
            let stored_ids: BTreeSet<i64> = sqlx::query_scalar(
                "SELECT DISTINCT order_id FROM order_items WHERE product_id = 4",
            )
            .fetch_all(db.store.pool())
            .await
            .unwrap()
            .into_iter()
            .collect();
            assert_eq!(stored_ids, sold_ids, "round {round}");
            // The stock never went below zero: every ledger balance of it.
            let lowest = scalar(
                &db,
                "SELECT MIN(balance_after) FROM ledger_entries WHERE product_id = 4",
            )
            .await;
            assert!(lowest >= 0, "round {round}: stock went to {lowest}");
            assert_audit_clean(&db.store, &format!("race round {round}")).await;
        }
        procs.finish(STEP);
        eprintln!(
            "{what}: {RACE_ROUNDS} rounds, {} orders, {total_busy} busy reruns, \
             {total_stale} stale-snapshot reruns in all",
            sold_ids.len()
        );
        // Each customer's points and notices match the orders exactly.
        let log = db
            .store
            .notifications(NotificationFilter::default())
            .await
            .unwrap();
        assert_eq!(log.len(), sold_ids.len());
        db.store.close().await;
        total_busy
    }
}

#[test]
fn one_idempotency_key_sent_by_four_processes_at_once_places_one_order() {
    block_on(async {
        let db = TestDb::seeded().await;
        let headphones = ProductId::new(HEADPHONES).unwrap();
        let orders_before = scalar(&db, "SELECT COUNT(*) FROM orders").await;
        let mut procs = children(&db, KEY_SENDERS, "same-key", None);
        let mut total_busy = 0;
        for round in 1..=KEY_ROUNDS {
            procs.each_says("ready", STEP);
            procs.tell_all(&format!("go proc-key-{round}"));
            let done = procs.each_says("done", STEP);
            let mut ids = BTreeSet::new();
            let mut firsts = 0;
            let mut busy_by_process = Vec::new();
            for line in &done {
                let (said, busy, _) = parse_done(line);
                let (id, replayed) = said.split_once(' ').unwrap();
                ids.insert(id.parse::<i64>().unwrap());
                firsts += usize::from(replayed == "false");
                busy_by_process.push(busy);
                total_busy += busy;
            }
            eprintln!(
                "key round {round}: order ids {ids:?}, {firsts} placed and {} replayed, \
                 busy reruns per process {busy_by_process:?}",
                KEY_SENDERS - firsts
            );
            assert_eq!(
                ids.len(),
                1,
                "round {round}: every process sees one order: {done:?}"
            );
            assert_eq!(
                firsts, 1,
                "round {round}: one placed, the others replayed: {done:?}"
            );
            let orders = scalar(&db, "SELECT COUNT(*) FROM orders").await;
            assert_eq!(orders, orders_before + i64::try_from(round).unwrap());
            let keys = scalar(&db, "SELECT COUNT(*) FROM idempotency_keys").await;
            assert_eq!(keys, i64::try_from(round).unwrap());
            let bound = scalar(
                &db,
                "SELECT COUNT(*) FROM idempotency_keys k JOIN orders o ON o.order_id = k.order_id",
            )
            .await;
            assert_eq!(bound, keys, "every key names its order");
            let left = db
                .store
                .product(headphones)
                .await
                .unwrap()
                .quantity_available;
            assert_eq!(left, 100 - 2 * u32::try_from(round).unwrap());
            assert_audit_clean(&db.store, &format!("key round {round}")).await;
        }
        procs.finish(STEP);
        eprintln!("same key: {KEY_ROUNDS} rounds, {total_busy} busy reruns in all");
        let log = db
            .store
            .notifications(NotificationFilter::default())
            .await
            .unwrap();
        assert_eq!(log.len(), KEY_ROUNDS, "one confirmation per order");
        db.store.close().await;
    });
}
