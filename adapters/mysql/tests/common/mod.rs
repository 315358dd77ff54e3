//! A fresh, randomly named database per test on the real server (the zero2prod
//! pattern), dropped afterwards.
//!
//! The server is `SHOPCORE_TEST_MYSQL_URL` (default `mysql://root@127.0.0.1:3306`).
//! If it cannot be reached, tests are skipped with a message — unless `CI=true`
//! (or `SHOPCORE_REQUIRE_MYSQL=1`), where that is a failure.

#![allow(dead_code)] // each test file uses part of this module

pub mod races;

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

use shopcore::{
    seed, Cart, CartLine, CatalogRepository, CheckoutRequest, CustomerId, ProductId, Quantity,
    ShopConfig,
};
use shopcore_mysql::{MySqlStore, PoolSettings};
use sqlx::mysql::MySqlPoolOptions;
use sqlx::{AssertSqlSafe, Connection, MySqlConnection};

pub fn server_url() -> String {
    std::env::var("SHOPCORE_TEST_MYSQL_URL")
        .unwrap_or_else(|_| "mysql://root@127.0.0.1:3306".to_owned())
}

fn database_required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
        || std::env::var("SHOPCORE_REQUIRE_MYSQL").is_ok_and(|v| v == "1")
}

/// A database that exists for one test.
pub struct TestDb {
    pub store: Arc<MySqlStore>,
    pub name: String,
    pub url: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

impl TestDb {
    /// Creates an empty database, or `None` when the server is unreachable and
    /// not required.
    pub async fn empty() -> Option<TestDb> {
        Self::empty_with(PoolSettings::default()).await
    }

    pub async fn empty_with(settings: PoolSettings) -> Option<TestDb> {
        Self::create(settings, "").await
    }

    /// An empty database whose default character set is latin1, as on a server
    /// without a distribution's config (or MySQL 5.7).
    pub async fn empty_latin1() -> Option<TestDb> {
        Self::create(
            PoolSettings::default(),
            " CHARACTER SET latin1 COLLATE latin1_swedish_ci",
        )
        .await
    }

    async fn create(settings: PoolSettings, options: &str) -> Option<TestDb> {
        let server = server_url();
        let mut admin = match MySqlConnection::connect(&server).await {
            Ok(conn) => conn,
            Err(e) if !database_required() => {
                eprintln!(
                    "SKIPPED: MySQL at {server} is unreachable ({e}); set CI=true to fail instead"
                );
                return None;
            }
            Err(e) => panic!("MySQL at {server} is required (CI=true) but unreachable: {e}"),
        };
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let name = format!(
            "shopcore_test_{}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst),
            nanos
        );
        // A database name is an identifier, which cannot be bound: this
        // one is made of digits here, the options are the caller's literal.
        sqlx::query(AssertSqlSafe(format!("CREATE DATABASE `{name}`{options}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        let url = format!("{}/{}", server.trim_end_matches('/'), name);
        let store = MySqlStore::connect_with(&url, ShopConfig::default(), settings)
            .await
            .expect("connect to the test database");
        Some(TestDb {
            store: Arc::new(store),
            name,
            url,
        })
    }

    /// A migrated database loaded with the seed data.
    pub async fn seeded() -> Option<TestDb> {
        Self::seeded_with(PoolSettings::default()).await
    }

    pub async fn seeded_with(settings: PoolSettings) -> Option<TestDb> {
        let db = Self::empty_with(settings).await?;
        db.store.migrate().await.expect("migrate");
        db.store.seed(&seed::demo_data()).await.expect("seed");
        Some(db)
    }

    /// Drops the database.
    pub async fn drop_database(self) {
        self.store.close().await;
        let mut admin = MySqlConnection::connect(&server_url())
            .await
            .expect("reconnect to drop the test database");
        // The name `empty_with` made (an identifier, which cannot be bound).
        sqlx::query(AssertSqlSafe(format!(
            "DROP DATABASE IF EXISTS `{}`",
            self.name
        )))
        .execute(&mut admin)
        .await
        .expect("drop test database");
    }

    /// A second, independent pool on the same database (for checks).
    pub async fn raw_pool(&self) -> sqlx::MySqlPool {
        MySqlPoolOptions::new()
            .max_connections(2)
            .connect(&self.url)
            .await
            .expect("raw pool")
    }
}

/// Runs a future on a fresh current-thread runtime.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
        .block_on(future)
}

/// A checkout request from raw numbers (default region).
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

/// Every product's stock, by id.
pub async fn stock_levels(store: &MySqlStore) -> Vec<u32> {
    store
        .products()
        .await
        .unwrap()
        .iter()
        .map(|p| p.quantity_available)
        .collect()
}
