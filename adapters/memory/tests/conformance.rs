//! The shared conformance suite, run on the in-memory store.

use shopcore_conformance::{conformance_tests, Case};
use shopcore_memory::MemoryStore;

fn run(case: Case<MemoryStore>) {
    let store = MemoryStore::seeded();
    pollster::block_on(case(&store));
}

conformance_tests!(run);
