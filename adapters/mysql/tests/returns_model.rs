//! Random orders (tiers, coupons, points, both roundings and tax modes), then
//! random sequences of payments, shipments, partial cancels, returns and
//! refunds on MySQL agree, step by step, with the plain reference model of
//! `shopcore_conformance::returns_model`, and leave books that balance. Each
//! case runs on its own fresh seeded database, opened with the scenario's
//! configuration, so there are fewer cases than on the in-memory store.

mod common;

use common::{block_on, TestDb};
use proptest::prelude::*;
use shopcore_conformance::returns_model::{run_returns_model, scenarios, steps};
use shopcore_mysql::MySqlStore;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn returns_and_refunds_agree_with_the_model(scenario in scenarios(), steps in steps(16)) {
        block_on(async {
            let Some(db) = TestDb::seeded().await else {
                return;
            };
            let store = MySqlStore::connect(&db.url, scenario.config())
                .await
                .expect("connect with the scenario's configuration");
            run_returns_model(&store, &scenario, &steps).await;
            store.close().await;
            db.drop_database().await;
        });
    }
}
