//! Dates past 2038: every shopcore time is DATETIME(6), so an order, its
//! confirmation, its ledger rows and a session dated 2040 or 2100 are stored
//! and read back exactly (TIMESTAMP ends at 2038-01-19 03:14:07 UTC).

mod common;

use std::sync::Arc;

use chrono::{DateTime, TimeZone, Utc};
use common::{request, TestDb};
use shopcore::auth::{authenticate, open_session};
use shopcore::{
    Actor, BooksRepository, FixedClock, NotificationFilter, NotificationRepository,
    OrderRepository, OrderWorkflow, ShopConfig,
};
use shopcore_mysql::MySqlStore;
use sqlx::MySqlPool;

async fn column_types(pool: &MySqlPool, database: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME), DATA_TYPE FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND DATA_TYPE IN ('timestamp', 'datetime') \
         AND TABLE_NAME <> '_sqlx_migrations' ORDER BY 1",
    )
    .bind(database)
    .fetch_all(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn orders_notices_ledger_and_sessions_dated_2040_and_2100_round_trip() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let timestamps: Vec<_> = column_types(&raw, &db.name)
        .await
        .into_iter()
        .filter(|(_, ty)| ty == "timestamp")
        .collect();
    assert_eq!(timestamps, vec![], "columns still limited to 2038");
    for when in [
        Utc.with_ymd_and_hms(2040, 2, 29, 12, 30, 15).unwrap(),
        Utc.with_ymd_and_hms(2100, 12, 31, 23, 59, 59).unwrap()
            + chrono::Duration::microseconds(123_456),
    ] {
        let store = MySqlStore::connect(&db.url, ShopConfig::default())
            .await
            .unwrap()
            .with_clock(Arc::new(FixedClock(when)));
        let placed = store.checkout(&request(1, &[(2, 1)]), None).await.unwrap();
        let stored = store.order(placed.order.id).await.unwrap();
        assert_eq!(stored.created_at, when);
        let filter = NotificationFilter {
            order_id: Some(placed.order.id),
            customer_id: None,
        };
        let notices = store.notifications(filter).await.unwrap();
        assert_eq!(notices[0].sent_at, when);
        let books = store.books().await.unwrap();
        assert!(books.stock_ledger.iter().any(|e| e.at == when));
        let later: DateTime<Utc> = when + chrono::Duration::hours(24);
        let session = open_session(
            &store,
            placed.order.customer_id,
            chrono::Duration::hours(24),
            when,
        )
        .await
        .unwrap();
        assert_eq!(session.expires_at, later);
        assert_eq!(
            authenticate(&store, Some(session.token.expose()), when)
                .await
                .unwrap(),
            Actor::Customer(placed.order.customer_id)
        );
        store.close().await;
    }
    raw.close().await;
    db.drop_database().await;
}
