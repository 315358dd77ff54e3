//! # shopcore-memory
//!
//! The in-memory storage adapter: for demos, tests, and services that keep
//! nothing (`DATABASE_URL=memory:`; `make run` keeps its shop in a SQLite
//! file). It implements every repository trait of `shopcore` with the same
//! results and error codes as the SQL adapters (the shared conformance suite
//! checks that).
//!
//! ## Locking rule
//! All state lives in one `State` behind one `std::sync::Mutex`. Every
//! operation takes the lock once, does all its reading, planning and writing,
//! and releases it; the lock is never held across an `.await` (there are none
//! inside), so a plain mutex is right and an async one would only add cost.
//! Every write runs the pure planner under the lock and applies the returned
//! plan through the one `State::apply`, which resolves every effect before it
//! writes anything and then cannot fail: a plan is applied whole or not at
//! all, and two buyers of the last unit are serialised by the lock — exactly
//! the stock is sold. Every stock and points movement is also appended to the
//! ledgers that [`shopcore::BooksRepository::books`] exports for the audit.
//!
//! ```
//! use shopcore::{Cart, CartLine, CheckoutRequest, CustomerId, OrderWorkflow, ProductId, Quantity};
//! use shopcore_memory::MemoryStore;
//!
//! let store = MemoryStore::seeded();
//! let request = CheckoutRequest {
//!     customer_id: CustomerId::new(1).unwrap(),
//!     cart: Cart::new([CartLine { product_id: ProductId::new(2).unwrap(),
//!                                 quantity: Quantity::new(10).unwrap() }]).unwrap(),
//!     region: None,
//!     expected_total: None,
//!     coupon: None,
//!     redeem_points: 0,
//! };
//! let placed = pollster::block_on(store.checkout(&request, None)).unwrap();
//! assert_eq!(placed.order.total_amount.to_string(), "290.60");
//! ```
//!
//! ## Layout
//! - [`MemoryStore`]: construction (`seeded`, `from_seed`, `with_clock`);
//! - `state`: the data behind the lock, the ledgers, and the one `apply` for plans;
//! - `repositories`: the trait implementations.

mod outbox;
mod repositories;
mod returns;
mod settlement;
mod state;

use std::sync::{Arc, Mutex, MutexGuard};

use shopcore::seed::{self, SeedData};
use shopcore::{Clock, ShopConfig, StorageError, SystemClock};

use crate::state::State;

/// An atomic, thread-safe store held in memory.
#[derive(Debug)]
pub struct MemoryStore {
    state: Mutex<State>,
    config: ShopConfig,
    clock: Arc<dyn Clock>,
    metrics: shopcore::StoreMetrics,
}

impl MemoryStore {
    /// An empty store (no products, customers, rules or tax rates).
    pub fn new(config: ShopConfig) -> Self {
        MemoryStore::from_seed(
            config,
            SeedData {
                products: Vec::new(),
                customers: Vec::new(),
                rules: Vec::new(),
                tax_rates: Vec::new(),
            },
        )
    }

    /// A store loaded with `data`.
    pub fn from_seed(config: ShopConfig, data: SeedData) -> Self {
        MemoryStore {
            state: Mutex::new(State::from_seed(data)),
            config,
            clock: Arc::new(SystemClock),
            metrics: shopcore::StoreMetrics::default(),
        }
    }

    /// The default configuration and the original backend's seed data.
    pub fn seeded() -> Self {
        MemoryStore::from_seed(ShopConfig::default(), seed::demo_data())
    }

    /// Replaces the clock (for example with a [`shopcore::FixedClock`] in tests).
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// Takes the lock. A poisoned lock (a panic while holding it) is reported
    /// as a storage failure rather than propagated as a panic.
    fn lock(&self) -> Result<MutexGuard<'_, State>, StorageError> {
        self.state
            .lock()
            .map_err(|_| StorageError::Failure("in-memory state lock poisoned".to_owned()))
    }
}
