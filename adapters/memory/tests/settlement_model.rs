//! Random sequences of payments, captures, voids, shipments and cancels on
//! the in-memory store agree, step by step, with a plain reference model, and
//! leave books that balance (see `shopcore_conformance::settlement_model`).

use pollster::block_on;
use proptest::prelude::*;
use shopcore_conformance::settlement_model::{operations, run_against_model};
use shopcore_memory::MemoryStore;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn payments_and_shipments_agree_with_the_model(ops in operations(24)) {
        let store = MemoryStore::seeded();
        block_on(run_against_model(&store, &ops));
    }
}
