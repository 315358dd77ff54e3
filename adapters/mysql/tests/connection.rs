//! Unreachable servers, refused credentials, bad URLs and a pool the server
//! cannot hold are `storage_unavailable` at connect, never a panic.

mod common;

use shopcore::{ErrorCode, ErrorKind, ShopConfig, StorageError};
use shopcore_mysql::{MySqlStore, PoolSettings};
use std::time::Duration;

async fn connect(url: &str) -> StorageError {
    let settings = PoolSettings {
        acquire_timeout: Duration::from_secs(3),
        ..PoolSettings::default()
    };
    MySqlStore::connect_with(url, ShopConfig::default(), settings)
        .await
        .expect_err(url)
}

#[tokio::test]
async fn a_closed_port_is_storage_unavailable() {
    let err = connect("mysql://root@127.0.0.1:1/test").await;
    assert_eq!(err.kind(), ErrorKind::StorageUnavailable, "{err}");
}

#[tokio::test]
async fn a_malformed_url_is_storage_unavailable() {
    for url in [
        "not a url",
        "postgres://localhost/db",
        "mysql://root@127.0.0.1:notaport/db",
    ] {
        let err = connect(url).await;
        assert_eq!(err.kind(), ErrorKind::StorageUnavailable, "{url}: {err}");
    }
}

#[tokio::test]
async fn wrong_credentials_and_unknown_databases_are_storage_unavailable() {
    // Only meaningful with a reachable server; the helper skips (or fails in CI) otherwise.
    let Some(db) = common::TestDb::empty().await else {
        return;
    };
    let server = common::server_url();
    // host:port of the test server, without any user in the URL.
    let without_scheme = server.trim_start_matches("mysql://").trim_end_matches('/');
    let host = without_scheme.rsplit('@').next().unwrap_or(without_scheme);
    let with_bad_password = format!("mysql://shopcore_no_such_user:wrong@{host}");
    let err = connect(&format!("{with_bad_password}/test")).await;
    assert_eq!(err.kind(), ErrorKind::StorageUnavailable, "{err}");
    let err = connect(&format!(
        "{}/shopcore_no_such_database",
        server.trim_end_matches('/')
    ))
    .await;
    assert_eq!(err.kind(), ErrorKind::StorageUnavailable, "{err}");
    db.drop_database().await;
}

#[tokio::test]
async fn a_pool_larger_than_the_server_allows_is_refused_at_connect() {
    let Some(db) = common::TestDb::empty().await else {
        return;
    };
    let settings = PoolSettings {
        max_connections: 1_000_000,
        ..PoolSettings::default()
    };
    let refused = shopcore_mysql::MySqlStore::connect_with(
        &db.url,
        shopcore::ShopConfig::default(),
        settings,
    )
    .await
    .unwrap_err();
    assert_eq!(refused.kind(), ErrorKind::StorageUnavailable);
    assert!(refused.to_string().contains("max_connections"), "{refused}");
    db.drop_database().await;
}

/// The reason a connection failed is in the message, not only "pool timed out".
#[tokio::test]
async fn a_failed_connection_says_why() {
    let refused = connect("mysql://root@127.0.0.1:1/test").await;
    assert!(
        refused
            .to_string()
            .contains("cannot connect to the database at 127.0.0.1:1"),
        "{refused}"
    );
    assert!(refused.to_string().contains("refused"), "{refused}");
    assert!(!refused.to_string().contains("pool timed out"), "{refused}");
    let postgres = connect("postgres://shop:secret@localhost/db").await;
    assert!(
        postgres.to_string().contains("expected mysql://"),
        "{postgres}"
    );
    assert!(
        postgres.to_string().contains("got postgres://"),
        "{postgres}"
    );
    assert!(!postgres.to_string().contains("secret"), "{postgres}");
    let Some(db) = common::TestDb::empty().await else {
        return;
    };
    let unknown = connect(&format!(
        "{}/shopcore_no_such_database",
        common::server_url().trim_end_matches('/')
    ))
    .await;
    assert!(
        unknown.to_string().contains("Unknown database"),
        "{unknown}"
    );
    db.drop_database().await;
}
