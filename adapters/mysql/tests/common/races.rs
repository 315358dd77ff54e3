//! Races on the real server: racers on one seeded test database, spread over
//! the nodes of a Galera cluster when `SHOPCORE_GALERA_URLS` names them (as
//! `make test-galera` sets it, with `SHOPCORE_TEST_MYSQL_URL` one of them),
//! for `SHOPCORE_RACE_ROUNDS` rounds (default 20), with a clean audit of
//! the books at the end.

use std::sync::Arc;

use shopcore::{
    audit, seed, BooksRepository, CatalogRepository, ErrorCode, Instrumented, Opening, OrderId,
    OrderWorkflow, PaymentRequest, ProductId, RetryCause, ShopConfig,
};
use shopcore_mysql::{MySqlStore, PoolSettings};
use sqlx::Connection;

use super::{request, server_url, TestDb};

fn settings() -> PoolSettings {
    PoolSettings {
        max_connections: 24,
        retry_budget: std::time::Duration::from_secs(20),
        ..PoolSettings::default()
    }
}

/// How many rounds each race runs: `SHOPCORE_RACE_ROUNDS`, default 20.
pub fn rounds() -> usize {
    std::env::var("SHOPCORE_RACE_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(20)
}

/// The stores racers use (one per node), on one seeded test database.
pub struct Racers {
    pub db: TestDb,
    /// One store per node: the test server's, then another Galera node's.
    stores: Vec<Arc<MySqlStore>>,
    /// The servers of `stores` (without the database), on Galera.
    galera_nodes: Vec<String>,
}

impl Racers {
    pub async fn new() -> Option<Racers> {
        let db = TestDb::seeded_with(settings()).await?;
        // Room for every round's orders.
        db.store
            .adjust_stock(ProductId::new(1).unwrap(), 200)
            .await
            .unwrap();
        db.store
            .adjust_stock(ProductId::new(2).unwrap(), 2000)
            .await
            .unwrap();
        let mut stores = vec![db.store.clone()];
        let mut galera_nodes = Vec::new();
        let here = server_url().trim_end_matches('/').to_owned();
        let nodes = std::env::var("SHOPCORE_GALERA_URLS").unwrap_or_default();
        let nodes: Vec<&str> = nodes.split_whitespace().collect();
        if let Some(other) = nodes
            .iter()
            .map(|url| url.trim_end_matches('/'))
            .find(|url| *url != here)
        {
            let url = format!("{other}/{}", db.name);
            let store = MySqlStore::connect_with(&url, ShopConfig::default(), settings())
                .await
                .expect("connect to a second Galera node");
            stores.push(Arc::new(store));
            galera_nodes = vec![here, other.to_owned()];
        }
        let racers = Racers {
            db,
            stores,
            galera_nodes,
        };
        racers.sync().await;
        eprintln!(
            "racing on {} node(s){}",
            racers.stores.len(),
            if racers.galera_nodes.is_empty() {
                String::new()
            } else {
                format!(": {}", racers.galera_nodes.join(", "))
            }
        );
        Some(racers)
    }

    /// The store of racer `i`: the racers alternate between the nodes.
    pub fn store(&self, i: usize) -> Arc<MySqlStore> {
        self.stores[i % self.stores.len()].clone()
    }

    /// On Galera, waits until every node has applied every write set
    /// certified so far (`wsrep_sync_wait`), so that each node's store reads
    /// what the others committed.
    pub async fn sync(&self) {
        for node in &self.galera_nodes {
            let mut conn = sqlx::MySqlConnection::connect(&format!("{node}/{}", self.db.name))
                .await
                .expect("connect to sync");
            sqlx::query("SET SESSION wsrep_sync_wait = 15")
                .execute(&mut conn)
                .await
                .expect("wsrep_sync_wait");
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM payments")
                .fetch_one(&mut conn)
                .await
                .expect("sync read");
            let _ = conn.close().await;
        }
    }

    /// Places the worked example (1 Laptop + 10 Mice in Cairo, 1430.59) and
    /// makes every node see it.
    pub async fn worked_example(&self) -> OrderId {
        let placed = self
            .db
            .store
            .checkout(&request(1, &[(1, 1), (2, 10)]), None)
            .await
            .unwrap();
        assert_eq!(placed.order.total_amount, "1430.59".parse().unwrap());
        self.sync().await;
        placed.order.id
    }

    /// The audit of the books is clean, as every node sees them.
    pub async fn assert_audit_clean(&self, what: &str) {
        self.sync().await;
        let books = self.db.store.books().await.unwrap();
        let found = audit(&Opening::from_seed(&seed::demo_data()), &books);
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(found.is_empty(), "{what}: {shown:#?}");
    }

    /// The audit of the books is clean; prints the reruns each store made,
    /// then drops the database.
    pub async fn audit_clean(self, race: &str) {
        self.assert_audit_clean(race).await;
        for (node, store) in self.stores.iter().enumerate() {
            let metrics = store.metrics();
            let reruns: Vec<String> = RetryCause::ALL
                .iter()
                .map(|&cause| format!("{cause:?} {}", metrics.retries(cause)))
                .collect();
            eprintln!("{race}: node {node} reruns: {}", reruns.join(", "));
        }
        for store in &self.stores[1..] {
            store.close().await;
        }
        self.db.drop_database().await;
    }
}

/// A payment of `amount` captured at once.
pub fn payment(amount: &str, reference: &str) -> PaymentRequest {
    PaymentRequest {
        amount: amount.parse().unwrap(),
        method: "card".parse().unwrap(),
        reference: reference.parse().unwrap(),
        capture: true,
    }
}

/// An answer as its error code, or `ok`.
pub fn code<T, E: ErrorCode>(answer: &Result<T, E>) -> &'static str {
    answer.as_ref().map_or_else(|e| e.code(), |_| "ok")
}

/// The two racers' answers as codes, sorted; counts the winner in `won_by`.
pub async fn two_answers<T, E: ErrorCode>(
    tasks: Vec<tokio::task::JoinHandle<Result<T, E>>>,
    won_by: &mut [usize; 2],
) -> Vec<&'static str> {
    let mut codes = Vec::new();
    for (i, task) in tasks.into_iter().enumerate() {
        let answer = task.await.unwrap();
        if answer.is_ok() {
            won_by[i] += 1;
        }
        codes.push(code(&answer));
    }
    codes.sort_unstable();
    codes
}
