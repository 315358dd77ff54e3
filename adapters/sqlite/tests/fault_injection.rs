//! A failure at any write step of checkout, cancel, a manual adjustment, a
//! payment, a capture, a void, a shipment, a partial cancel, a return, its
//! receipt or rejection, or a refund leaves no trace on SQLite: the store is
//! made to fail right after each step of its one apply path in turn, and
//! every table of the file — every row of it, `sqlite_sequence` (the
//! `AUTOINCREMENT` counters) included — is compared before and after.
//!
//! Ported from the MySQL adapter's cases, without those that only a server
//! can produce: a Galera node ending a transaction half-way (the guarded
//! transactions), and a write committed by another connection between a
//! checkout's, cancel's or adjustment's snapshot and its movements. On
//! SQLite every write transaction begins with `BEGIN IMMEDIATE`, holding the
//! file's one write lock from its first read to its `COMMIT`: no other
//! connection or process can commit in between (such a write waits for the
//! lock), so the snapshot a write decides from is already exact. What
//! the locked path (`decide_from_locked_rows`) would do after a stale
//! snapshot is still reached and failed at every step here, as on MySQL.

mod common;

use common::{block_on, TestDb};
use shopcore_sql::fault_cases::{self, Snapshot, Tables};
use sqlx::{AssertSqlSafe, SqlitePool};

/// Every row of every table (but the migrations' own), as text, by table.
/// Reads every table of the file in full: each row as its columns'
/// `quote()`d values, rows sorted.
async fn fingerprint(pool: &SqlitePool) -> Tables {
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> '_sqlx_migrations' \
         ORDER BY name",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    assert!(tables.len() >= 20, "{tables:?}");
    let mut result = Vec::new();
    for table in tables {
        // Names are identifiers (they cannot be bound); these are the file's own.
        let columns: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT name FROM pragma_table_info('{table}') ORDER BY cid"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        let row = columns
            .iter()
            .map(|c| format!("quote(\"{c}\")"))
            .collect::<Vec<_>>()
            .join(" || '|' || ");
        let rows: Vec<String> = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT {row} AS r FROM \"{table}\" ORDER BY r"
        )))
        .fetch_all(pool)
        .await
        .unwrap();
        result.push((table, rows.join("\n")));
    }
    result
}

/// Every row of every table of the file.
struct FileTables(SqlitePool);

#[shopcore_sql::async_trait]
impl Snapshot for FileTables {
    async fn tables(&self) -> Tables {
        fingerprint(&self.0).await
    }
}

/// One shared case per test, on a fresh seeded file.
macro_rules! fault_tests {
    ($($name:ident => |$store:ident, $tables:ident| $case:expr;)*) => {$(
        #[test]
        fn $name() {
            block_on(async {
                let db = TestDb::seeded().await;
                let tables = FileTables(db.store.pool().clone());
                {
                    let ($store, $tables) = (&db.store, &tables);
                    $case.await;
                }
                db.store.close().await;
            });
        }
    )*};
}

#[test]
fn a_checkout_failing_after_any_write_step_leaves_every_table_unchanged() {
    block_on(async {
        let db = TestDb::seeded().await;
        let tables = FileTables(db.store.pool().clone());
        let written = fault_cases::checkout(&db.store, &tables).await;
        assert_eq!(
            written,
            [
                "customers",
                "idempotency_keys",
                "inventory",
                "ledger_entries",
                // The confirmation's delivery, queued in the outbox.
                "notification_deliveries",
                "notification_log",
                "order_items",
                "orders",
                "sqlite_sequence",
            ]
        );
        db.store.close().await;
    });
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
