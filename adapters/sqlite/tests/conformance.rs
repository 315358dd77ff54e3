//! The shared conformance suite, run on SQLite: each case on its own fresh,
//! migrated and seeded database file.

mod common;

use common::{block_on, TestDb};
use shopcore_conformance::{conformance_tests, Case};
use shopcore_sqlite::SqliteStore;

fn run(case: Case<SqliteStore>) {
    block_on(async {
        let db = TestDb::seeded().await;
        case(&db.store).await;
        db.store.close().await;
    });
}

conformance_tests!(run);
