//! A fresh, migrated and seeded SQLite database file per test.

use std::path::PathBuf;
use std::sync::atomic::{AtomicU32, Ordering};

use shopcore::{seed, ShopConfig};
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
    #[allow(dead_code)]
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
    #[allow(dead_code)]
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
