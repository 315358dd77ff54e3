//! Random orders (tiers, coupons, points, both roundings and tax modes), then
//! random sequences of payments, shipments, partial cancels, returns and
//! refunds on SQLite agree, step by step, with the plain reference model of
//! `shopcore_conformance::returns_model`, and leave books that balance. Each
//! case runs on its own fresh seeded database file, opened with the
//! scenario's configuration.

mod common;

use common::{block_on, TestDb};
use proptest::prelude::*;
use shopcore_conformance::returns_model::{run_returns_model, scenarios, steps};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn returns_and_refunds_agree_with_the_model(scenario in scenarios(), steps in steps(16)) {
        block_on(async {
            let db = TestDb::seeded_with(scenario.config()).await;
            run_returns_model(&db.store, &scenario, &steps).await;
            db.store.close().await;
        });
    }
}
