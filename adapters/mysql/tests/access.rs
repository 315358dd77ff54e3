//! Sessions and staff keys on MySQL: only the SHA-256 of a token or key is
//! stored (checked with the server's own `SHA2()`), and a failed write keeps nothing.

mod common;

use common::TestDb;
use shopcore::auth::{authenticate, create_staff_key, install_staff_key, open_session};
use shopcore::{AccessToken, ErrorCode, StaffKeyName, StaffRole};
use shopcore_mysql::WriteStep;
use sqlx::AssertSqlSafe;

#[tokio::test]
async fn only_the_hash_of_a_session_token_or_staff_key_is_stored() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let raw = db.raw_pool().await;
    let now = chrono::Utc::now();
    let session = open_session(
        &*db.store,
        shopcore::CustomerId::new(1).unwrap(),
        chrono::Duration::hours(24),
        now,
    )
    .await
    .unwrap();
    let issued = create_staff_key(
        &*db.store,
        StaffKeyName::parse("desk").unwrap(),
        StaffRole::Support,
        now,
    )
    .await
    .unwrap();
    for (table, column, columns, secret) in [
        (
            "sessions",
            "token_hash",
            "token_hash, customer_id, created_at, expires_at, revoked_at",
            session.token.expose(),
        ),
        (
            "staff_keys",
            "key_hash",
            "key_id, name, role, key_hash, created_at, revoked_at",
            issued.secret.expose(),
        ),
    ] {
        // Table and column names are identifiers (they cannot be bound),
        // each a literal of the list above.
        let hashed: i64 = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM {table} WHERE {column} = SHA2(?, 256)"
        )))
        .bind(secret)
        .fetch_one(&raw)
        .await
        .unwrap();
        assert_eq!(hashed, 1, "{table}");
        // The secret itself is in no column of the row.
        let dump: String = sqlx::query_scalar(AssertSqlSafe(format!(
            "SELECT CAST(CONCAT_WS('|', {columns}) AS CHAR) FROM {table}"
        )))
        .fetch_one(&raw)
        .await
        .unwrap();
        assert!(dump.len() > 64, "the row was read: {table}: {dump}");
        assert!(!dump.contains(secret), "{table}: {dump}");
    }
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn a_failed_access_write_keeps_nothing() {
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let now = chrono::Utc::now();
    db.store.inject_fault_after(Some(WriteStep::AccessChanged));
    let refused = open_session(
        &*db.store,
        shopcore::CustomerId::new(1).unwrap(),
        chrono::Duration::hours(1),
        now,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.code(), "storage_failure");
    db.store.inject_fault_after(None);
    let raw = db.raw_pool().await;
    let sessions: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sessions")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(sessions, 0);
    assert!(authenticate(
        &*db.store,
        Some("sct_0123456789abcdef0123456789abcdef"),
        now
    )
    .await
    .is_err());
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn workers_installing_one_admin_key_at_once_all_get_the_same_key() {
    // Found as a gunicorn worker dying at start with 1062 on staff_keys_one_per_secret.
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let secret = "adm_the-same-operator-chosen-admin-key-for-all";
    for _round in 0..5 {
        let installs = (0..8).map(|_| {
            let store = db.store.clone();
            tokio::spawn(async move {
                install_staff_key(
                    &*store,
                    StaffKeyName::parse("admin (SHOPCORE_ADMIN_KEY)").unwrap(),
                    StaffRole::Admin,
                    AccessToken::parse(secret).unwrap(),
                    chrono::Utc::now(),
                )
                .await
            })
        });
        let mut ids = Vec::new();
        for install in installs.collect::<Vec<_>>() {
            ids.push(install.await.unwrap().expect("every install succeeds").id);
        }
        ids.dedup();
        assert_eq!(ids.len(), 1, "one key for one secret: {ids:?}");
    }
    let keys = shopcore::AccessRepository::staff_keys(&*db.store)
        .await
        .unwrap();
    assert_eq!(keys.len(), 1, "{keys:#?}");
    db.drop_database().await;
}

#[tokio::test]
async fn a_duplicate_key_error_names_the_key_but_never_the_entry() {
    // Found as `cannot start: storage failure: … 1062 (23000): Duplicate entry
    // '73759d20…' for key 'staff_keys_one_per_secret'`: the unsalted SHA-256 of
    // the admin key in a log line.
    use shopcore::{plan_staff_key, AccessRepository};
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let secret = AccessToken::parse("3f9c2e71d04ab85e6c1f97a20d4be35c8a61f0e2").unwrap();
    let hash = secret.hash();
    let plan = |secret: &AccessToken| {
        let name = StaffKeyName::parse("admin").unwrap();
        plan_staff_key(
            name,
            StaffRole::Admin,
            Some(secret.clone()),
            chrono::Utc::now(),
        )
        .1
    };
    db.store.apply_access_plan(&plan(&secret)).await.unwrap();
    let refused = db
        .store
        .apply_access_plan(&plan(&secret))
        .await
        .unwrap_err();
    let message = refused.to_string();
    assert_eq!(refused.code(), "storage_failure", "{message}");
    assert!(message.contains("staff_keys_one_per_secret"), "{message}");
    assert!(!message.contains(&hash.as_str()[..8]), "{message}");
    assert!(!message.contains(secret.expose()), "{message}");
    db.drop_database().await;
}
