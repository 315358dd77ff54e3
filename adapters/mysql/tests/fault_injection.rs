//! A failure at any write step of checkout, cancel, a manual adjustment, a
//! payment, a capture, a void, a shipment, a partial cancel, a return, its
//! receipt or rejection, or a refund leaves no trace on MySQL: the cases of
//! `shopcore_sql::fault_cases`, with every table compared (row count and
//! `CHECKSUM TABLE`) before and after. And what only a server can do: a
//! transaction ended half-way (as a Galera abort ends it) commits nothing
//! when guarded.

mod common;

use common::TestDb;
use shopcore::{ErrorCode, ErrorKind, IdempotencyKey, OrderWorkflow};
use shopcore_mysql::MySqlStore;
use shopcore_sql::fault_cases::{self, request, Snapshot, Tables};
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

/// Every table of the database, by its row count and checksum.
struct ServerTables(MySqlPool);

#[shopcore_sql::async_trait]
impl Snapshot for ServerTables {
    async fn tables(&self) -> Tables {
        fingerprint(&self.0)
            .await
            .into_iter()
            .map(|(table, rows, checksum)| (table, format!("{rows} rows, checksum {checksum:?}")))
            .collect()
    }
}

/// A fresh seeded database, its store, and its tables read through a pool of their own.
async fn seeded() -> Option<(TestDb, ServerTables)> {
    let db = TestDb::seeded().await?;
    let raw = db.raw_pool().await;
    Some((db, ServerTables(raw)))
}

/// Drops the database once a case is done.
async fn done(db: TestDb, tables: ServerTables) {
    tables.0.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_checkout_failing_after_any_write_step_leaves_every_table_unchanged() {
    let Some((db, tables)) = seeded().await else {
        return;
    };
    let written = fault_cases::checkout(&db.store, &tables).await;
    let expected: Vec<&str> = TABLES
        .into_iter()
        .filter(|table| {
            matches!(
                *table,
                "customers"
                    | "inventory"
                    | "orders"
                    | "order_items"
                    | "notification_log"
                    | "idempotency_keys"
                    | "ledger_entries"
            )
        })
        .collect();
    assert_eq!(written, expected);
    done(db, tables).await;
}

/// One shared case per test, on a fresh seeded database.
macro_rules! fault_tests {
    ($($name:ident => |$store:ident, $tables:ident| $case:expr;)*) => {$(
        #[tokio::test]
        async fn $name() {
            let Some((db, tables)) = seeded().await else {
                return;
            };
            {
                let ($store, $tables) = (&db.store, &tables);
                $case.await;
            }
            done(db, tables).await;
        }
    )*};
}

fault_tests! {
    a_cancel_failing_after_any_write_step_leaves_every_table_unchanged =>
        |store, tables| fault_cases::cancel(store, tables, false);
    a_cancel_decided_from_locked_rows_failing_after_any_step_leaves_no_trace =>
        |store, tables| fault_cases::cancel(store, tables, true);
    a_checkout_decided_from_locked_rows_failing_after_any_step_leaves_no_trace =>
        |store, tables| fault_cases::locked_checkout(store, tables);
    a_manual_adjustment_failing_after_any_step_leaves_no_trace =>
        |store, tables| fault_cases::manual_adjustment(store, tables);
    a_payment_capture_void_or_shipment_failing_after_any_step_leaves_no_trace =>
        |store, tables| fault_cases::payments_and_shipments(store, tables);
    a_cancel_voiding_authorizations_failing_after_any_step_leaves_no_trace =>
        |store, tables| fault_cases::cancel_voiding_authorizations(store, tables, false);
    a_cancel_voiding_authorizations_from_locked_rows_failing_after_any_step_leaves_no_trace =>
        |store, tables| fault_cases::cancel_voiding_authorizations(store, tables, true);
    a_partial_cancel_failing_after_any_step_leaves_no_trace =>
        |store, tables| fault_cases::partial_cancel(store, tables);
    returns_receipts_rejections_and_refunds_failing_after_any_step_leave_no_trace =>
        |store, tables| fault_cases::returns_and_refunds(store, tables);
}

/// A store on `db` with a one-connection pool whose transactions are guarded
/// as on a Galera node, or not.
async fn one_connection_store(db: &TestDb, guarded: bool) -> MySqlStore {
    let settings = shopcore_mysql::PoolSettings {
        max_connections: 1,
        retry_budget: std::time::Duration::from_millis(50),
        ..Default::default()
    };
    MySqlStore::connect_with(&db.url, shopcore::ShopConfig::default(), settings)
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
    let session = |store: &MySqlStore| {
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
