//! A fresh, migrated and seeded SQLite database file per test.
#![allow(dead_code)] // each test file uses part of this module

pub mod children;

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use shopcore::{
    audit, seed, BooksRepository, Cart, CartLine, CheckoutRequest, CustomerId, Opening, ProductId,
    Quantity, ShopConfig,
};
use shopcore_sqlite::SqliteStore;

/// A store on its own new file in a temporary directory, removed on drop.
pub struct TestDb {
    /// The store on the file.
    pub store: SqliteStore,
    /// The directory holding the file.
    pub dir: PathBuf,
}

impl TestDb {
    /// A new database file, migrated and seeded with the demo data.
    pub async fn seeded() -> TestDb {
        Self::seeded_with(ShopConfig::default()).await
    }

    /// As [`TestDb::seeded`], with `config`.
    pub async fn seeded_with(config: ShopConfig) -> TestDb {
        let db = Self::empty_with(config).await;
        db.store.migrate().await.expect("migrate");
        db.store.seed(&seed::demo_data()).await.expect("seed");
        db
    }

    /// A new, empty database file.
    pub async fn empty_with(config: ShopConfig) -> TestDb {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "shopcore-sqlite-test-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("temporary directory");
        let store = SqliteStore::open(dir.join("shop.db"), config)
            .await
            .expect("open");
        TestDb { store, dir }
    }

    /// The database file.
    pub fn path(&self) -> PathBuf {
        self.dir.join("shop.db")
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs `future` on a fresh multi-threaded runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(future)
}

/// A checkout by `customer` of `lines` (`(product, quantity)`), in the
/// default region, without a coupon or points.
pub fn request(customer: i64, lines: &[(i64, i64)]) -> CheckoutRequest {
    CheckoutRequest {
        customer_id: CustomerId::new(customer).unwrap(),
        cart: Cart::new(lines.iter().map(|&(p, q)| CartLine {
            product_id: ProductId::new(p).unwrap(),
            quantity: Quantity::new(q).unwrap(),
        }))
        .unwrap(),
        region: None,
        expected_total: None,
        coupon: None,
        redeem_points: 0,
    }
}

/// What the audit of the store's books finds, from the seed's opening
/// balances (nothing when the books balance).
pub async fn audit_findings(store: &SqliteStore) -> Vec<String> {
    let books = store.books().await.expect("books");
    audit(&Opening::from_seed(&seed::demo_data()), &books)
        .iter()
        .map(ToString::to_string)
        .collect()
}

/// The books balance from the seed data.
pub async fn assert_audit_clean(store: &SqliteStore, what: &str) {
    let found = audit_findings(store).await;
    assert!(found.is_empty(), "{what}: {found:#?}");
}
