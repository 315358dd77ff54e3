//! Random orders (tiers, coupons, points, both roundings and tax modes), then
//! random sequences of payments, shipments, partial cancels, returns and
//! refunds on the in-memory store agree, step by step, with a plain reference
//! model in integer cents, and leave books that balance (see
//! `shopcore_conformance::returns_model`).

use pollster::block_on;
use proptest::prelude::*;
use shopcore_conformance::returns_model::{run_returns_model, scenarios, steps};
use shopcore_memory::MemoryStore;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn returns_and_refunds_agree_with_the_model(scenario in scenarios(), steps in steps(24)) {
        let store = MemoryStore::from_seed(scenario.config(), shopcore::seed::demo_data());
        block_on(run_returns_model(&store, &scenario, &steps));
    }
}
