//! Text round-trips exactly whatever the database's default character set:
//! on a database whose default is latin1, the migrations make every table
//! utf8mb4 — a fresh schema, and an original one upgraded in place — so
//! Arabic, accented and emoji text survives register, profile and notification.

mod common;

use common::{request, TestDb};
use shopcore::auth::{register, InlinePasswordWorker};
use shopcore::{
    seed, CustomerId, CustomerName, CustomerRepository, Email, NotificationKind,
    NotificationRepository, OrderWorkflow, Password, Phone,
};
use sqlx::MySqlPool;

const NAMES: [&str; 3] = ["أحمد حسن", "Zoë Ünïcode-Çelik", "Mona 🛒✓"];

/// `(table, collation)` of every table of the database that is not utf8mb4.
async fn not_utf8mb4(pool: &MySqlPool, database: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "SELECT TABLE_NAME, TABLE_COLLATION FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME <> '_sqlx_migrations' \
         AND TABLE_COLLATION NOT LIKE 'utf8mb4%'",
    )
    .bind(database)
    .fetch_all(pool)
    .await
    .unwrap()
}

/// Registers each name, reads the profile back, and logs and reads a notice in it.
async fn text_round_trips(db: &TestDb) {
    let password = Password::parse("a long enough password").unwrap();
    for (i, name) in NAMES.iter().enumerate() {
        let registered = register(
            &*db.store,
            &InlinePasswordWorker,
            CustomerName::parse(name).unwrap(),
            Email::parse(&format!("person{i}@example.com")).unwrap(),
            Some(Phone::parse("+20 100").unwrap()),
            &password,
        )
        .await
        .unwrap_or_else(|e| panic!("registering {name:?}: {e}"));
        let profile = db.store.customer(registered.id).await.unwrap();
        assert_eq!(profile.name.as_str(), *name);
        let placed = db
            .store
            .checkout(&request(registered.id.get(), &[(2, 1)]), None)
            .await
            .unwrap();
        assert!(placed.confirmation.message.contains(name));
        let text = format!("{name}: Ünïcode ✓ 🎉");
        db.store
            .log_notification(
                placed.order.id,
                registered.id,
                NotificationKind::OrderConfirmation,
                text.clone(),
            )
            .await
            .unwrap();
        let logged = db
            .store
            .notifications(shopcore::NotificationFilter {
                order_id: Some(placed.order.id),
                customer_id: None,
            })
            .await
            .unwrap();
        let messages: Vec<&str> = logged.iter().map(|n| n.message.as_str()).collect();
        assert!(messages.contains(&text.as_str()), "{messages:?}");
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&format!("Dear {name},"))),
            "{messages:?}"
        );
    }
}

#[tokio::test]
async fn a_fresh_schema_on_a_latin1_database_is_utf8mb4() {
    let Some(db) = TestDb::empty_latin1().await else {
        return;
    };
    db.store.migrate().await.unwrap();
    db.store.seed(&seed::demo_data()).await.unwrap();
    let raw = db.raw_pool().await;
    assert_eq!(not_utf8mb4(&raw, &db.name).await, vec![]);
    let default: String = sqlx::query_scalar(
        "SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = ?",
    )
    .bind(&db.name)
    .fetch_one(&raw)
    .await
    .unwrap();
    assert_eq!(default, "utf8mb4");
    text_round_trips(&db).await;
    raw.close().await;
    db.drop_database().await;
}

#[tokio::test]
async fn an_original_latin1_database_is_converted_keeping_its_text() {
    let Some(db) = TestDb::empty_latin1().await else {
        return;
    };
    let raw = db.raw_pool().await;
    // The original tables, latin1 by the database default, with accented rows.
    for statement in [
        "CREATE TABLE customers (customer_id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, \
         email VARCHAR(100) UNIQUE NOT NULL, phone VARCHAR(20), loyalty_points INT DEFAULT 0, \
         created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)",
        "CREATE TABLE inventory (product_id INT AUTO_INCREMENT PRIMARY KEY, product_name VARCHAR(100) NOT NULL, \
         quantity_available INT NOT NULL DEFAULT 0, unit_price DECIMAL(10,2) NOT NULL, \
         last_updated TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP)",
        // The rest of the original schema (shopcore upgrades only the whole of it).
        "CREATE TABLE pricing_rules (rule_id INT AUTO_INCREMENT PRIMARY KEY, product_id INT, \
         min_quantity INT, discount_percentage DECIMAL(5,2))",
        "CREATE TABLE tax_rates (region VARCHAR(50) PRIMARY KEY, tax_rate DECIMAL(5,2))",
        "CREATE TABLE orders (order_id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT, \
         total_amount DECIMAL(10,2), status VARCHAR(20) DEFAULT 'created', \
         created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)",
        "CREATE TABLE order_items (item_id INT AUTO_INCREMENT PRIMARY KEY, order_id INT, \
         product_id INT, quantity INT, unit_price DECIMAL(10,2))",
        "CREATE TABLE notification_log (notification_id INT AUTO_INCREMENT PRIMARY KEY, order_id INT, \
         customer_id INT, notification_type VARCHAR(50), message TEXT, \
         sent_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP)",
        "INSERT INTO customers (name, email, loyalty_points) VALUES ('Zoë Müller', 'zoe@example.com', 10)",
        "INSERT INTO inventory (product_name, quantity_available, unit_price) VALUES ('Café crème', 5, 3.50)",
    ] {
        sqlx::query(statement).execute(&raw).await.unwrap();
    }
    assert_eq!(not_utf8mb4(&raw, &db.name).await.len(), 7);
    db.store.migrate().await.unwrap();
    assert_eq!(not_utf8mb4(&raw, &db.name).await, vec![]);
    // Ids read back, not assumed: on a Galera node auto-increment ids
    // interleave across nodes and the first row is not always 1.
    let zoe_id: i64 =
        sqlx::query_scalar("SELECT customer_id FROM customers WHERE email = 'zoe@example.com'")
            .fetch_one(&raw)
            .await
            .unwrap();
    let zoe = db
        .store
        .customer(CustomerId::new(zoe_id).unwrap())
        .await
        .unwrap();
    assert_eq!(zoe.name.as_str(), "Zoë Müller");
    let cafe: String =
        sqlx::query_scalar("SELECT product_name FROM inventory WHERE quantity_available = 5")
            .fetch_one(&raw)
            .await
            .unwrap();
    assert_eq!(cafe, "Café crème");
    db.store.seed(&seed::demo_data()).await.unwrap();
    text_round_trips(&db).await;
    raw.close().await;
    db.drop_database().await;
}

/// The regions' collation holds names equal that differ only by accents
/// (`Cairo` = `Caïro`; emails compare byte for byte since migration 0012); the
/// store treats only the same text (case aside, for regions) as the same
/// thing: another spelling never logs in as someone else, and never changes or
/// removes another region.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_equal_only_by_collation_are_not_the_same() {
    use shopcore::{Actor, CatalogAdministration, CatalogCommand, ErrorCode, Percent, Region};
    let Some(db) = TestDb::seeded().await else {
        return;
    };
    let sara = Email::parse("sara@example.com").unwrap();
    let accented = Email::parse("sárá@example.com").unwrap();
    assert!(db
        .store
        .customer_credentials(&sara)
        .await
        .unwrap()
        .is_some());
    assert!(db
        .store
        .customer_credentials(&accented)
        .await
        .unwrap()
        .is_none());

    let region = |text: &str| Region::parse(text).unwrap();
    let admin = Actor::Anonymous;
    for command in [
        CatalogCommand::RemoveTaxRegion(region("Caïro")),
        CatalogCommand::SetTaxRate {
            region: region("Gizá"),
            rate: Percent::new(7.into()).unwrap(),
        },
    ] {
        let err = db.store.administer(&admin, &command).await.unwrap_err();
        assert_eq!(err.code(), "invalid_region", "{command:?}: {err}");
    }
    let rates = shopcore::CatalogRepository::tax_rates(&*db.store)
        .await
        .unwrap();
    assert_eq!(rates.rate(&region("Cairo")).unwrap().to_string(), "14.00");
    assert_eq!(rates.rate(&region("Giza")).unwrap().to_string(), "14.00");
    let caïro =
        shopcore::QuoteRequest::cart(request(1, &[(1, 1)]).cart).in_region(Some(region("Caïro")));
    let err = shopcore::quote_order(&*db.store, &caïro).await.unwrap_err();
    assert_eq!(err.code(), "unknown_tax_region");
    // The default region stays, however it is spelled.
    let err = db
        .store
        .administer(&admin, &CatalogCommand::RemoveTaxRegion(region("CAIRO")))
        .await
        .unwrap_err();
    assert_eq!(err.code(), "default_tax_region");
    db.drop_database().await;
}
