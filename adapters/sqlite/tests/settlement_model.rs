//! Random sequences of payments, captures, voids, shipments and cancels on
//! SQLite agree, step by step, with the plain reference model of
//! `shopcore_conformance::settlement_model`, and leave books that balance.
//! Each case runs on its own fresh seeded database file.

mod common;

use common::{block_on, TestDb};
use proptest::prelude::*;
use shopcore_conformance::settlement_model::{operations, run_against_model};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn payments_and_shipments_agree_with_the_model(ops in operations(16)) {
        block_on(async {
            let db = TestDb::seeded().await;
            run_against_model(&db.store, &ops).await;
            db.store.close().await;
        });
    }
}
