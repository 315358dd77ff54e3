//! The throttles' counts on MySQL: shared by every store on one database,
//! and pruned once their window has ended.

mod common;

use chrono::{DateTime, Duration, Utc};
use common::{block_on, TestDb};
use shopcore::auth::{login_throttled, register, InlinePasswordWorker};
use shopcore::{
    CustomerName, Email, ErrorCode, Password, ShopConfig, ThrottleCheck, ThrottlePolicy,
    ThrottleRepository,
};
use shopcore_mysql::MySqlStore;

async fn rows(db: &TestDb) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM throttle_counts")
        .fetch_one(&db.raw_pool().await)
        .await
        .unwrap()
}

#[test]
fn two_stores_on_one_database_share_the_counts() {
    block_on(async {
        let Some(db) = TestDb::seeded().await else {
            return;
        };
        let other = MySqlStore::connect(&db.url, ShopConfig::default())
            .await
            .unwrap();
        let password = Password::parse("the owner's password").unwrap();
        register(
            &*db.store,
            &InlinePasswordWorker,
            CustomerName::parse("Owner").unwrap(),
            Email::parse("owner@example.com").unwrap(),
            None,
            &password,
        )
        .await
        .unwrap();
        let policy = ThrottlePolicy::default();
        let now = Utc::now();
        for _ in 0..5 {
            let failed = login_throttled(
                &*db.store,
                &InlinePasswordWorker,
                &policy,
                "owner@example.com",
                "wrong password",
                Some("10.9.0.1"),
                now,
            )
            .await
            .unwrap_err();
            assert_eq!(failed.code(), "invalid_credentials");
        }
        // The other process refuses the same address …
        let refused = login_throttled(
            &other,
            &InlinePasswordWorker,
            &policy,
            "owner@example.com",
            "the owner's password",
            Some("10.9.0.1"),
            now,
        )
        .await
        .unwrap_err();
        assert_eq!(refused.code(), "too_many_attempts");
        // … and lets the owner in from a clean one.
        let owner = login_throttled(
            &other,
            &InlinePasswordWorker,
            &policy,
            "owner@example.com",
            "the owner's password",
            Some("10.9.0.2"),
            now,
        )
        .await;
        assert!(owner.is_ok());
        other.close().await;
        db.drop_database().await;
    });
}

#[test]
fn counts_whose_window_ended_are_pruned() {
    block_on(async {
        let Some(db) = TestDb::seeded().await else {
            return;
        };
        let policy = ThrottlePolicy::default();
        let start: DateTime<Utc> = Utc::now();
        let count = |address: String, at: DateTime<Utc>| {
            let store = &db.store;
            async move {
                let check = ThrottleCheck::registration(&policy, Some(&address));
                store.count_attempt(&check, at).await.unwrap().unwrap();
            }
        };
        for i in 0..150 {
            count(format!("10.8.{i}"), start).await;
        }
        assert_eq!(rows(&db).await, 150);
        let later = start + policy.window + Duration::seconds(1);
        for i in 0..3 {
            count(format!("10.8.late.{i}"), later).await;
        }
        assert_eq!(rows(&db).await, 3, "only the live counts are left");
        db.drop_database().await;
    });
}
