//! The shared conformance suite, run on MySQL: each case on its own fresh,
//! migrated and seeded database.

mod common;

use common::{block_on, TestDb};
use shopcore_conformance::{conformance_tests, Case};
use shopcore_mysql::MySqlStore;

fn run(case: Case<MySqlStore>) {
    block_on(async {
        let Some(db) = TestDb::seeded().await else {
            return;
        };
        case(&db.store).await;
        db.drop_database().await;
    });
}

conformance_tests!(run);
