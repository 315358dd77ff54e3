//! Opening a database file: what is kept across a reopen, and the clear
//! errors for a path that cannot hold a store.

mod common;

use common::{block_on, TestDb};
use shopcore::{
    Cart, CartLine, CheckoutRequest, CustomerId, OrderRepository, OrderWorkflow, ProductId,
    Quantity, Region, ShopConfig, StorageError,
};
use shopcore_sqlite::SqliteStore;

fn reason(error: StorageError) -> String {
    match error {
        StorageError::Unavailable(reason) | StorageError::Failure(reason) => reason,
        other => other.to_string(),
    }
}

#[test]
fn an_order_placed_is_there_after_the_file_is_reopened() {
    block_on(async {
        let db = TestDb::seeded().await;
        let request = CheckoutRequest {
            customer_id: CustomerId::new(1).unwrap(),
            cart: Cart::new([CartLine {
                product_id: ProductId::new(2).unwrap(),
                quantity: Quantity::new(3).unwrap(),
            }])
            .unwrap(),
            region: Some(Region::parse("cairo").unwrap()),
            expected_total: None,
            coupon: None,
            redeem_points: 0,
        };
        let placed = db.store.checkout(&request, None).await.expect("checkout");
        db.store.close().await;

        let reopened = SqliteStore::open(db.path(), ShopConfig::default())
            .await
            .expect("reopen");
        reopened
            .migrate()
            .await
            .expect("migrating again is a no-op");
        let read = reopened.order(placed.order.id).await.expect("the order");
        assert_eq!(read, placed.order);
        reopened.close().await;
    });
}

#[test]
fn a_missing_directory_is_named() {
    block_on(async {
        let path = std::env::temp_dir().join("shopcore-no-such-dir-for-sure/shop.db");
        let error = SqliteStore::open(&path, ShopConfig::default())
            .await
            .map(|_| ())
            .expect_err("no directory");
        let text = reason(error);
        assert!(text.contains(&path.display().to_string()), "{text}");
        assert!(text.contains("does not exist"), "{text}");
    });
}

#[test]
fn a_file_that_is_not_a_database_is_refused_and_left_as_it_was() {
    block_on(async {
        let db = TestDb::empty_with(ShopConfig::default()).await;
        db.store.close().await;
        let path = db.dir.join("notes.db");
        let text = "this is not a database, it is a shopping list\n".repeat(200);
        std::fs::write(&path, &text).unwrap();
        let error = SqliteStore::open(&path, ShopConfig::default())
            .await
            .map(|_| ())
            .expect_err("not a database");
        let message = reason(error);
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("not a database"), "{message}");
        assert_eq!(std::fs::read_to_string(&path).unwrap(), text);
    });
}

#[test]
fn a_read_only_file_is_refused_and_nothing_is_made_beside_it() {
    block_on(async {
        let db = TestDb::seeded().await;
        db.store.close().await;
        let path = db.path();
        let mut permissions = std::fs::metadata(&path).unwrap().permissions();
        permissions.set_readonly(true);
        std::fs::set_permissions(&path, permissions).unwrap();
        // root ignores file modes: make the file immutable instead.
        let mut immutable = false;
        if std::fs::OpenOptions::new().append(true).open(&path).is_ok() {
            immutable = std::process::Command::new("chattr")
                .arg("+i")
                .arg(&path)
                .status()
                .is_ok_and(|status| status.success());
            if !immutable {
                eprintln!("skipped: root without chattr +i, no file here is read-only");
                return;
            }
        }
        let before: Vec<_> = std::fs::read_dir(&db.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        let opened = SqliteStore::open(&path, ShopConfig::default()).await;
        let after: Vec<_> = std::fs::read_dir(&db.dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        if immutable {
            let _ = std::process::Command::new("chattr")
                .arg("-i")
                .arg(&path)
                .status();
        }
        let message = reason(opened.map(|_| ()).expect_err("read-only"));
        assert!(message.contains(&path.display().to_string()), "{message}");
        assert!(message.contains("cannot be written"), "{message}");
        assert_eq!(before.len(), after.len(), "{before:?} {after:?}");
    });
}

#[test]
fn several_stores_migrating_a_new_file_at_once_all_succeed() {
    block_on(async {
        let db = TestDb::empty_with(ShopConfig::default()).await;
        for round in 0..5 {
            let path = db.dir.join(format!("new-{round}.db"));
            let migrations = (0..6).map(|_| {
                let path = path.clone();
                tokio::spawn(async move {
                    let store = SqliteStore::open(&path, ShopConfig::default()).await?;
                    let migrated = store.migrate().await;
                    store.close().await;
                    migrated
                })
            });
            for migrated in futures_join(migrations).await {
                migrated.expect("task").expect("every store migrates");
            }
        }
        db.store.close().await;
    });
}

async fn futures_join<T>(
    handles: impl Iterator<Item = tokio::task::JoinHandle<T>>,
) -> Vec<Result<T, tokio::task::JoinError>> {
    let mut out = Vec::new();
    for handle in handles.collect::<Vec<_>>() {
        out.push(handle.await);
    }
    out
}

#[test]
fn a_database_written_by_a_newer_schema_is_refused_before_anything_is_written() {
    block_on(async {
        let db = TestDb::seeded().await;
        let mut conn = db.store.pool().acquire().await.unwrap();
        sqlx::query(
            "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time) \
             VALUES (9999, 'from the future', 1, x'00', 0)",
        )
        .execute(&mut *conn)
        .await
        .unwrap();
        drop(conn);
        let message = reason(db.store.migrate().await.expect_err("newer schema"));
        assert!(message.contains("newer shopcore"), "{message}");
        assert!(
            message.contains(&db.path().display().to_string()),
            "{message}"
        );
        assert!(message.contains("9999"), "{message}");
        db.store.close().await;
    });
}

#[test]
fn a_backup_is_written_to_the_path_named_even_one_that_looks_like_a_uri() {
    block_on(async {
        let db = TestDb::seeded().await;
        let cwd = std::env::current_dir().unwrap();
        std::env::set_current_dir(&db.dir).unwrap();
        let backed_up = db.store.backup("file:copy.db?mode=memory").await;
        std::env::set_current_dir(cwd).unwrap();
        backed_up.expect("backup");
        let copy = db.dir.join("file:copy.db?mode=memory");
        assert!(copy.is_file(), "{copy:?}");
        let reopened = SqliteStore::open(&copy, ShopConfig::default())
            .await
            .unwrap();
        assert_eq!(
            shopcore::CatalogRepository::products(&reopened)
                .await
                .unwrap()
                .len(),
            5
        );
        reopened.close().await;
        let again = db
            .store
            .backup(&copy)
            .await
            .map(|_| ())
            .expect_err("exists");
        assert!(reason(again).contains("already exists"));
        db.store.close().await;
    });
}
