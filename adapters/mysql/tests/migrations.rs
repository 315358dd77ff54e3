//! Migrations: (a) create the full schema on an empty database; (b) upgrade a
//! database holding the original backend's schema and rows in place, keeping
//! its data and its SQL working.

mod common;

use common::TestDb;
use shopcore::ErrorCode as _;
use shopcore::{
    seed, BooksRepository, CatalogRepository, CustomerId, CustomerRepository, NotificationFilter,
    NotificationRepository, OrderId, OrderRepository, OrderWorkflow, ProductId,
};
use sqlx::MySqlPool;

/// Every column DESIGN.md names plus shopcore's additions, as `table.column`.
const EXPECTED_COLUMNS: &[&str] = &[
    "customers.customer_id",
    "customers.name",
    "customers.email",
    "customers.phone",
    "customers.loyalty_points",
    "customers.created_at",
    "customers.password_hash",
    "inventory.product_id",
    "inventory.product_name",
    "inventory.quantity_available",
    "inventory.unit_price",
    "inventory.last_updated",
    "pricing_rules.rule_id",
    "pricing_rules.product_id",
    "pricing_rules.min_quantity",
    "pricing_rules.discount_percentage",
    "tax_rates.region",
    "tax_rates.tax_rate",
    "orders.order_id",
    "orders.customer_id",
    "orders.total_amount",
    "orders.status",
    "orders.created_at",
    "orders.subtotal",
    "orders.tax",
    "orders.region",
    "orders.points_earned",
    "orders.points_revoked",
    "order_items.item_id",
    "order_items.order_id",
    "order_items.product_id",
    "order_items.quantity",
    "order_items.unit_price",
    "order_items.discount",
    "order_items.line_total",
    "notification_log.notification_id",
    "notification_log.order_id",
    "notification_log.customer_id",
    "notification_log.notification_type",
    "notification_log.message",
    "notification_log.sent_at",
    "idempotency_keys.customer_id",
    "idempotency_keys.idempotency_key",
    "idempotency_keys.fingerprint",
    "idempotency_keys.order_id",
    "ledger_entries.entry_id",
    "ledger_entries.product_id",
    "ledger_entries.customer_id",
    "ledger_entries.delta",
    "ledger_entries.balance_after",
    "ledger_entries.reason",
    "ledger_entries.order_id",
    "ledger_entries.recorded_at",
    "orders.refund_due",
    "orders.settlement_version",
    "payments.payment_id",
    "payments.order_id",
    "payments.method",
    "payments.reference",
    "payments.amount",
    "payments.status",
    "payments.amount_captured",
    "payments.created_at",
    "payments.updated_at",
    "payment_ledger.entry_id",
    "payment_ledger.order_id",
    "payment_ledger.payment_id",
    "payment_ledger.kind",
    "payment_ledger.amount",
    "payment_ledger.authorized_after",
    "payment_ledger.captured_after",
    "payment_ledger.created_at",
    "fulfillments.fulfillment_id",
    "fulfillments.order_id",
    "fulfillments.carrier",
    "fulfillments.tracking_number",
    "fulfillments.created_at",
    "fulfillment_items.fulfillment_id",
    "fulfillment_items.product_id",
    "fulfillment_items.quantity",
    "order_items.tax",
    "order_items.points_redeemed",
    "orders.rounding",
    "payments.amount_released",
    "payments.amount_refunded",
    "returns.return_id",
    "returns.order_id",
    "returns.status",
    "return_items.quantity",
    "releases.release_id",
    "releases.cause",
    "release_items.amount",
    "refunds.refund_id",
    "refunds.kind",
    "refund_items.amount",
    "refund_parts.payment_id",
];

async fn columns(pool: &MySqlPool, database: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT CONCAT(TABLE_NAME, '.', COLUMN_NAME) FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? ORDER BY TABLE_NAME, ORDINAL_POSITION",
    )
    .bind(database)
    .fetch_all(pool)
    .await
    .unwrap()
}

async fn column_type(pool: &MySqlPool, database: &str, table: &str, column: &str) -> String {
    sqlx::query_scalar(
        "SELECT COLUMN_TYPE FROM information_schema.COLUMNS \
         WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
    )
    .bind(database)
    .bind(table)
    .bind(column)
    .fetch_one(pool)
    .await
    .unwrap()
}

#[tokio::test]
async fn an_empty_database_gets_the_full_schema_with_money_as_decimal_and_no_data() {
    let Some(db) = TestDb::empty().await else {
        return;
    };
    db.store.migrate().await.unwrap();
    db.store.migrate().await.unwrap(); // a second run is a no-op
    let raw = db.raw_pool().await;
    let present = columns(&raw, &db.name).await;
    for expected in EXPECTED_COLUMNS {
        assert!(present.iter().any(|c| c == expected), "missing {expected}");
    }
    for (table, column, ty) in [
        ("inventory", "unit_price", "decimal(10,2)"),
        ("orders", "total_amount", "decimal(12,2)"),
        ("orders", "subtotal", "decimal(12,2)"),
        ("order_items", "line_total", "decimal(12,2)"),
        ("pricing_rules", "discount_percentage", "decimal(5,2)"),
        ("tax_rates", "tax_rate", "decimal(5,2)"),
        ("orders", "refund_due", "decimal(12,2)"),
        ("payments", "amount", "decimal(12,2)"),
        ("payments", "amount_captured", "decimal(12,2)"),
        ("payment_ledger", "amount", "decimal(12,2)"),
        ("payment_ledger", "authorized_after", "decimal(12,2)"),
        ("payment_ledger", "captured_after", "decimal(12,2)"),
        ("order_items", "tax", "decimal(12,2)"),
        ("payments", "amount_released", "decimal(12,2)"),
        ("payments", "amount_refunded", "decimal(12,2)"),
        ("release_items", "amount", "decimal(12,2)"),
        ("release_items", "tax", "decimal(12,2)"),
        ("refunds", "amount", "decimal(12,2)"),
        ("refunds", "tax", "decimal(12,2)"),
        ("refund_items", "amount", "decimal(12,2)"),
        ("refund_parts", "amount", "decimal(12,2)"),
    ] {
        assert_eq!(
            column_type(&raw, &db.name, table, column).await,
            ty,
            "{table}.{column}"
        );
    }
    // Seed data is loaded only by an explicit call.
    assert!(db.store.products().await.unwrap().is_empty());
    db.store.seed(&seed::demo_data()).await.unwrap();
    db.store.seed(&seed::demo_data()).await.unwrap(); // seeding twice adds nothing
    assert_eq!(db.store.products().await.unwrap().len(), 5);
    let rules: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM pricing_rules")
        .fetch_one(&raw)
        .await
        .unwrap();
    assert_eq!(rules, 3);
    // The database refuses negative stock whatever SQL tries it.
    let refused = sqlx::query("UPDATE inventory SET quantity_available = -1 WHERE product_id = 1")
        .execute(&raw)
        .await;
    assert!(refused.is_err());
    raw.close().await;
    db.drop_database().await;
}

/// The original backend's DDL and seed rows, written the way its setup script did
/// (foreign keys, InnoDB, `DECIMAL(10,2)` totals), plus one order it placed.
const ORIGINAL_SCHEMA_AND_DATA: &[&str] = &[
    "CREATE TABLE customers (customer_id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(100) NOT NULL, \
     email VARCHAR(100) UNIQUE NOT NULL, phone VARCHAR(20), loyalty_points INT DEFAULT 0, \
     created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB",
    "CREATE TABLE inventory (product_id INT AUTO_INCREMENT PRIMARY KEY, product_name VARCHAR(100) NOT NULL, \
     quantity_available INT NOT NULL DEFAULT 0, unit_price DECIMAL(10,2) NOT NULL, \
     last_updated TIMESTAMP DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP) ENGINE=InnoDB",
    "CREATE TABLE pricing_rules (rule_id INT AUTO_INCREMENT PRIMARY KEY, product_id INT, min_quantity INT, \
     discount_percentage DECIMAL(5,2), FOREIGN KEY (product_id) REFERENCES inventory(product_id)) ENGINE=InnoDB",
    "CREATE TABLE tax_rates (region VARCHAR(50) PRIMARY KEY, tax_rate DECIMAL(5,2)) ENGINE=InnoDB",
    "CREATE TABLE orders (order_id INT AUTO_INCREMENT PRIMARY KEY, customer_id INT, total_amount DECIMAL(10,2), \
     status VARCHAR(20) DEFAULT 'created', created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP, \
     FOREIGN KEY (customer_id) REFERENCES customers(customer_id)) ENGINE=InnoDB",
    "CREATE TABLE order_items (item_id INT AUTO_INCREMENT PRIMARY KEY, order_id INT, product_id INT, \
     quantity INT, unit_price DECIMAL(10,2), FOREIGN KEY (order_id) REFERENCES orders(order_id), \
     FOREIGN KEY (product_id) REFERENCES inventory(product_id)) ENGINE=InnoDB",
    "CREATE TABLE notification_log (notification_id INT AUTO_INCREMENT PRIMARY KEY, order_id INT, \
     customer_id INT, notification_type VARCHAR(50), message TEXT, \
     sent_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP) ENGINE=InnoDB",
    // Ids given, not left to auto-increment: on a Galera node those interleave.
    "INSERT INTO inventory (product_id, product_name, quantity_available, unit_price) VALUES \
     (1, 'Laptop', 50, 999.99), (2, 'Mouse', 200, 29.99), (3, 'Keyboard', 150, 79.99), \
     (4, 'Monitor', 75, 299.99), (5, 'Headphones', 100, 149.99)",
    "INSERT INTO customers (customer_id, name, email, phone, loyalty_points) VALUES \
     (1, 'Ahmed Hassan', 'ahmed@example.com', '01012345678', 100), \
     (2, 'Sara Mohamed', 'sara@example.com', '01123456789', 250), \
     (3, 'Omar Ali', 'omar@example.com', '01234567890', 50)",
    "INSERT INTO pricing_rules (product_id, min_quantity, discount_percentage) VALUES \
     (1, 5, 10.00), (2, 10, 15.00), (3, 10, 12.00)",
    "INSERT INTO tax_rates (region, tax_rate) VALUES ('Cairo', 14.00), ('Giza', 14.00), ('Alexandria', 14.00)",
    // An order the original services placed: 1 laptop + 2 mice, total with 15 % tax.
    "INSERT INTO orders (order_id, customer_id, total_amount) VALUES (1, 2, 1218.96)",
    "INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (1, 1, 1, 999.99), (1, 2, 2, 29.99)",
    "INSERT INTO notification_log (order_id, customer_id, notification_type, message) \
     VALUES (1, 2, 'order_confirmation', 'Your order #1 has been confirmed')",
];

#[tokio::test]
async fn the_original_schema_and_data_are_upgraded_in_place() {
    let Some(db) = TestDb::empty().await else {
        return;
    };
    let raw = db.raw_pool().await;
    for statement in ORIGINAL_SCHEMA_AND_DATA {
        sqlx::query(*statement).execute(&raw).await.unwrap();
    }
    db.store.migrate().await.unwrap();

    let present = columns(&raw, &db.name).await;
    for expected in EXPECTED_COLUMNS {
        assert!(present.iter().any(|c| c == expected), "missing {expected}");
    }
    // The original rows are intact and readable through the store.
    let products = db.store.products().await.unwrap();
    let rows: Vec<(String, u32, String)> = products
        .iter()
        .map(|p| {
            (
                p.name.to_string(),
                p.quantity_available,
                p.unit_price.to_string(),
            )
        })
        .collect();
    assert_eq!(rows[0], ("Laptop".to_owned(), 50, "999.99".to_owned()));
    assert_eq!(rows.len(), 5);
    let sara = db
        .store
        .customer(CustomerId::new(2).unwrap())
        .await
        .unwrap();
    assert_eq!(
        (sara.email.as_str(), sara.loyalty_points),
        ("sara@example.com", 250)
    );
    assert_eq!(sara.phone.as_ref().map(|p| p.as_str()), Some("01123456789"));

    // The legacy order got its breakdown backfilled.
    let legacy = db.store.order(OrderId::new(1).unwrap()).await.unwrap();
    assert_eq!(legacy.region.as_str(), "legacy");
    assert_eq!(legacy.subtotal.to_string(), "1059.97");
    assert_eq!(legacy.tax.to_string(), "158.99");
    assert_eq!(legacy.total_amount.to_string(), "1218.96");
    assert_eq!(legacy.items[1].line_total.to_string(), "59.98");
    // And its tax split over its lines by net price (999.99 and 59.98).
    let lines: Vec<String> = legacy.items.iter().map(|i| i.tax.to_string()).collect();
    assert_eq!(lines, ["149.99", "9.00"]); // 149.9916… and 8.9968…
    let log = db
        .store
        .notifications(NotificationFilter::default())
        .await
        .unwrap();
    assert_eq!(log.len(), 1);

    // The original services' SQL still works on the upgraded tables.
    let legacy = sqlx::query("INSERT INTO orders (customer_id, total_amount) VALUES (3, 34.19)")
        .execute(&raw)
        .await
        .unwrap()
        .last_insert_id();
    sqlx::query("INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES (?, 2, 1, 29.99)")
        .bind(legacy)
        .execute(&raw)
        .await
        .unwrap();
    sqlx::query(
        "UPDATE inventory SET quantity_available = quantity_available - 1 WHERE product_id = 2",
    )
    .execute(&raw)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO customers (name, email, phone) VALUES ('Laila', 'laila@example.com', '0100')",
    )
    .execute(&raw)
    .await
    .unwrap();
    let legacy = OrderId::new(i64::try_from(legacy).unwrap()).unwrap();
    let written_by_original = db.store.order(legacy).await.unwrap();
    assert_eq!(written_by_original.total_amount.to_string(), "34.19");
    assert_eq!(written_by_original.items[0].line_total.to_string(), "29.99");

    // And shopcore works on it: the worked example, numbered after the old orders.
    let placed = db
        .store
        .checkout(&common::request(1, &[(1, 1), (2, 10)]), None)
        .await
        .unwrap();
    // (Not necessarily the next integer: on Galera ids interleave.)
    assert!(
        placed.order.id > legacy,
        "{} after {legacy}",
        placed.order.id
    );
    // The books can be read, legacy rows included (their order ids, their log types).
    let books = db.store.books().await.unwrap();
    assert_eq!(books.orders.len(), 3);
    assert_eq!(books.stock_ledger.len(), 2); // only shopcore's order moved stock through the ledger
    assert_eq!(placed.order.total_amount.to_string(), "1430.59");
    assert_eq!(
        db.store
            .product(ProductId::new(2).unwrap())
            .await
            .unwrap()
            .quantity_available,
        189
    );
    raw.close().await;
    db.drop_database().await;
}

async fn table_names(pool: &MySqlPool) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT CAST(TABLE_NAME AS CHAR) FROM information_schema.TABLES \
         WHERE TABLE_SCHEMA = DATABASE() ORDER BY TABLE_NAME",
    )
    .fetch_all(pool)
    .await
    .unwrap()
}

/// A database that already holds an unrelated `orders` table (no `status`)
/// and a table of its own is refused before anything is written, naming both
/// (it used to fail in migration 2, after migration 1 had created tables).
#[tokio::test]
async fn a_database_holding_tables_shopcore_does_not_know_is_refused_untouched() {
    let Some(db) = TestDb::empty().await else {
        return;
    };
    let raw = db.raw_pool().await;
    for statement in [
        "CREATE TABLE orders (order_id INT PRIMARY KEY, customer_id INT, total_amount DECIMAL(12,2), created_at DATETIME)",
        "CREATE TABLE invoices (invoice_id INT PRIMARY KEY)",
    ] {
        sqlx::query(statement).execute(&raw).await.unwrap();
    }
    let err = db.store.migrate().await.unwrap_err();
    let message = err.to_string();
    assert_eq!(err.code(), "storage_failure", "{message}");
    assert!(
        message.contains("table `orders` without the original backend's column(s) status"),
        "{message}"
    );
    assert!(
        message.contains("table `invoices`, which shopcore does not know"),
        "{message}"
    );
    assert!(message.contains("nothing was written"), "{message}");
    assert_eq!(table_names(&raw).await, vec!["invoices", "orders"]);
    raw.close().await;
    db.drop_database().await;
}

/// A migration that fails half-way says which one, and how to resume.
#[tokio::test]
async fn a_migration_that_fails_part_way_names_its_step_and_how_to_resume() {
    let Some(db) = TestDb::empty().await else {
        return;
    };
    let raw = db.raw_pool().await;
    for statement in ORIGINAL_SCHEMA_AND_DATA {
        sqlx::query(*statement).execute(&raw).await.unwrap();
    }
    // Migration 2 changes `customers` (a schema change MySQL commits at
    // once), then repairs negative stock, which this trigger refuses.
    sqlx::query("UPDATE inventory SET quantity_available = -1 WHERE product_id = 5")
        .execute(&raw)
        .await
        .unwrap();
    sqlx::query(
        "CREATE TRIGGER no_stock_repairs BEFORE UPDATE ON inventory FOR EACH ROW \
         SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'stock is frozen'",
    )
    .execute(&raw)
    .await
    .unwrap();
    let err = db.store.migrate().await.unwrap_err();
    let message = err.to_string();
    assert!(
        message.contains("migration 2 (shopcore columns) failed part-way"),
        "{message}"
    );
    assert!(message.contains("stock is frozen"), "{message}");
    assert!(
        message.contains("DELETE FROM _sqlx_migrations WHERE version = 2"),
        "{message}"
    );
    // The next start says the same, not only "dirty".
    let again = db.store.migrate().await.unwrap_err().to_string();
    assert!(
        again.contains("migration 2 (shopcore columns) failed part-way"),
        "{again}"
    );
    // Resuming as told: remove the cause, forget the failed step, migrate again.
    // Migration 2's change to `customers` applied; its statements are
    // idempotent but for the password column, which is undone here.
    sqlx::query("DROP TRIGGER no_stock_repairs")
        .execute(&raw)
        .await
        .unwrap();
    sqlx::query("ALTER TABLE customers DROP COLUMN password_hash")
        .execute(&raw)
        .await
        .unwrap();
    sqlx::query("DELETE FROM _sqlx_migrations WHERE version = 2")
        .execute(&raw)
        .await
        .unwrap();
    db.store.migrate().await.unwrap();
    let stock: i64 =
        sqlx::query_scalar("SELECT quantity_available FROM inventory WHERE product_id = 5")
            .fetch_one(&raw)
            .await
            .unwrap();
    assert_eq!(
        stock, 0,
        "migration 2 repaired the negative stock once resumed"
    );
    raw.close().await;
    db.drop_database().await;
}

/// 0012: emails and idempotency keys compare byte for byte; emails the
/// original services stored in another case or with surrounding spaces are
/// brought to the normal form, except rows that would collide (left as
/// stored); existing idempotency keys keep replaying.
#[tokio::test]
async fn emails_and_idempotency_keys_become_exact_and_emails_normal() {
    use shopcore::{Email, IdempotencyKey};
    let Some(db) = TestDb::empty().await else {
        return;
    };
    let raw = db.raw_pool().await;
    for statement in ORIGINAL_SCHEMA_AND_DATA {
        sqlx::query(*statement).execute(&raw).await.unwrap();
    }
    sqlx::query(
        "INSERT INTO customers (customer_id, name, email) VALUES \
         (10, 'Laila', 'Laila@Example.COM'), (11, 'Bob', ' bob@example.com'), \
         (12, 'Bob Again', 'BOB@example.com'), (13, 'Zoe', ' zoe@example.com ')",
    )
    .execute(&raw)
    .await
    .unwrap();
    db.store.migrate().await.unwrap();
    for (table, column) in [
        ("customers", "email"),
        ("idempotency_keys", "idempotency_key"),
    ] {
        let collation: String = sqlx::query_scalar(
            "SELECT COLLATION_NAME FROM information_schema.COLUMNS \
             WHERE TABLE_SCHEMA = ? AND TABLE_NAME = ? AND COLUMN_NAME = ?",
        )
        .bind(&db.name)
        .bind(table)
        .bind(column)
        .fetch_one(&raw)
        .await
        .unwrap();
        assert_eq!(collation, "utf8mb4_bin", "{table}.{column}");
    }
    let stored: Vec<(i32, String)> = sqlx::query_as(
        "SELECT customer_id, CONVERT(email USING utf8mb4) FROM customers ORDER BY customer_id",
    )
    .fetch_all(&raw)
    .await
    .unwrap();
    let stored: Vec<(i32, &str)> = stored.iter().map(|(id, e)| (*id, e.as_str())).collect();
    assert_eq!(
        &stored[3..],
        &[
            (10, "laila@example.com"),
            (11, " bob@example.com"),
            (12, "BOB@example.com"),
            (13, "zoe@example.com"),
        ]
    );
    for (typed, owner) in [
        ("LAILA@example.com", Some(10)),
        ("zoe@example.com", Some(13)),
        ("bob@example.com", None),
    ] {
        let found = db
            .store
            .customer_credentials(&Email::parse(typed).unwrap())
            .await
            .unwrap();
        assert_eq!(found.map(|c| c.customer.id.get()), owner, "{typed}");
    }

    // Keys differing only in case are different keys now.
    let key = |text: &str| IdempotencyKey::parse(text).unwrap();
    let first = db
        .store
        .checkout(&common::request(2, &[(2, 1)]), Some(&key("idem-FA22")))
        .await
        .unwrap();
    let other = db
        .store
        .checkout(&common::request(2, &[(2, 1)]), Some(&key("IDEM-fa22")))
        .await
        .unwrap();
    assert!(!other.replayed);
    assert_ne!(other.order.id, first.order.id);
    raw.close().await;
    db.drop_database().await;
}

/// A store on a database that was never migrated is not ready, and says why
/// in words rather than as the missing table's error.
#[tokio::test]
async fn an_unmigrated_database_is_not_ready_and_says_run_migrate() {
    use shopcore::Readiness;
    let Some(db) = TestDb::empty().await else {
        return;
    };
    let err = db
        .store
        .ready(std::time::Duration::from_secs(2))
        .await
        .unwrap_err();
    let message = err.to_string();
    assert!(message.contains("not migrated"), "{message}");
    assert!(message.contains("run migrate"), "{message}");
    assert!(!message.contains("1146"), "{message}");
    db.drop_database().await;
}

/// Orders as a checkout placed them before migration 15: the tax and the
/// redeemed points on the order only. `(customer, items, tax, points
/// redeemed, points value)`, each item `(product, quantity, unit price,
/// line total, coupon share, points share)`.
type OldOrder = (
    i64,
    &'static [(
        i64,
        i64,
        &'static str,
        &'static str,
        &'static str,
        &'static str,
    )],
    &'static str,
    u64,
    &'static str,
);

const OLD_ORDERS: &[OldOrder] = &[
    // 1 laptop + 10 mice, 62.75 off by a coupon, 100 points (1.00) redeemed.
    (
        1,
        &[
            (1, 1, "999.99", "999.99", "50.00", "0.80"),
            (2, 10, "29.99", "254.91", "12.75", "0.20"),
        ],
        "166.76",
        100,
        "1.00",
    ),
    // Three lines whose shares of 0.10 tax and 7 points need the largest remainder.
    (
        2,
        &[
            (2, 1, "29.99", "29.99", "0.00", "0.03"),
            (3, 1, "79.99", "79.99", "0.00", "0.03"),
            (5, 1, "149.99", "149.99", "0.00", "0.01"),
        ],
        "0.10",
        7,
        "0.07",
    ),
];

/// Writes `order` with the columns migration 14 had; answers its id.
async fn place_old_order(pool: &MySqlPool, order: &OldOrder) -> OrderId {
    use shopcore::Money;
    let (customer, items, tax, points, points_value) = *order;
    let m = |s: &str| s.parse::<Money>().unwrap();
    let subtotal = items
        .iter()
        .fold(Money::ZERO, |sum, i| sum.checked_add(m(i.3)).unwrap());
    let coupon = items
        .iter()
        .fold(Money::ZERO, |sum, i| sum.checked_add(m(i.4)).unwrap());
    let total = subtotal
        .checked_sub(coupon)
        .and_then(|t| t.checked_sub(m(points_value)))
        .and_then(|t| t.checked_add(m(tax)))
        .unwrap();
    let id = sqlx::query(
        "INSERT INTO orders (customer_id, total_amount, status, created_at, subtotal, tax, region, \
         points_earned, coupon_discount, points_redeemed, points_value) \
         VALUES (?, ?, 'created', NOW(), ?, ?, 'Cairo', 0, ?, ?, ?)",
    )
    .bind(customer)
    .bind(total.amount())
    .bind(subtotal.amount())
    .bind(m(tax).amount())
    .bind(coupon.amount())
    .bind(points)
    .bind(m(points_value).amount())
    .execute(pool)
    .await
    .unwrap()
    .last_insert_id();
    for &(product, quantity, unit, line, coupon, points) in items {
        let base = m(unit).amount() * rust_decimal::Decimal::from(quantity);
        sqlx::query(
            "INSERT INTO order_items (order_id, product_id, quantity, unit_price, discount, \
             line_total, coupon_share, points_share) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        )
        .bind(id)
        .bind(product)
        .bind(quantity)
        .bind(m(unit).amount())
        .bind(base - m(line).amount())
        .bind(m(line).amount())
        .bind(m(coupon).amount())
        .bind(m(points).amount())
        .execute(pool)
        .await
        .unwrap();
    }
    OrderId::new(i64::try_from(id).unwrap()).unwrap()
}

/// `(tax, points redeemed)` of every item of the order, as stored.
async fn stored_line_costs(pool: &MySqlPool, order: OrderId) -> Vec<(String, u64)> {
    sqlx::query_as::<_, (rust_decimal::Decimal, u64)>(
        "SELECT tax, points_redeemed FROM order_items WHERE order_id = ? ORDER BY item_id",
    )
    .bind(order.get())
    .fetch_all(pool)
    .await
    .unwrap()
    .into_iter()
    .map(|(tax, points)| (tax.to_string(), points))
    .collect()
}

/// 0015: orders placed before lines kept their tax and redeemed points get
/// them right after migrating — split as a checkout splits them
/// (`shopcore::line_costs`), so that they add up to the order's — once.
#[tokio::test]
async fn orders_placed_before_lines_kept_their_costs_get_them_split_once() {
    let Some(db) = TestDb::empty().await else {
        return;
    };
    let raw = db.raw_pool().await;
    sqlx::migrate!("../sql/migrations/mysql")
        .run_to(14, &raw)
        .await
        .unwrap();
    db.store.seed(&seed::demo_data()).await.unwrap();
    let mut old = Vec::new();
    for order in OLD_ORDERS {
        old.push(place_old_order(&raw, order).await);
    }
    db.store.migrate().await.unwrap();

    for (id, placed) in old.iter().zip(OLD_ORDERS) {
        let order = db.store.order(*id).await.unwrap();
        let tax = order.items.iter().fold(shopcore::Money::ZERO, |sum, i| {
            sum.checked_add(i.tax).unwrap()
        });
        let points: u64 = order.items.iter().map(|i| i.points_redeemed).sum();
        assert_eq!(
            (tax.to_string(), points),
            (placed.2.to_owned(), placed.3),
            "order {id}"
        );
        let lines: Vec<_> = order
            .items
            .iter()
            .map(|i| (i.net_price().unwrap(), None, i.points_share))
            .collect();
        let split = shopcore::line_costs(&lines, order.tax, order.points_redeemed);
        let kept: Vec<_> = order
            .items
            .iter()
            .map(|i| (i.tax, i.points_redeemed))
            .collect();
        assert_eq!(kept, split, "order {id}");
        assert_eq!(order.rounding, shopcore::RoundingMode::HalfUp);
    }
    // 949.19 and 241.96 of net weigh 166.76: 132.89 (132.887…) and 33.87 (33.872…).
    assert_eq!(
        stored_line_costs(&raw, old[0]).await,
        [("132.89".to_owned(), 80), ("33.87".to_owned(), 20)]
    );
    // 0.10 over 29.99, 79.99, 149.99; 7 points over 0.03, 0.03, 0.01.
    assert_eq!(
        stored_line_costs(&raw, old[1]).await,
        [
            ("0.01".to_owned(), 3),
            ("0.03".to_owned(), 3),
            ("0.06".to_owned(), 1)
        ]
    );

    // Once: a line changed by hand after the split stays as it is through
    // the next start, and an order placed now keeps the checkout's split.
    sqlx::query("UPDATE order_items SET tax = tax + 1 WHERE order_id = ? ORDER BY item_id LIMIT 1")
        .bind(old[0].get())
        .execute(&raw)
        .await
        .unwrap();
    let placed = db
        .store
        .checkout(&common::request(1, &[(1, 1), (2, 10)]), None)
        .await
        .unwrap()
        .order;
    db.store.migrate().await.unwrap();
    assert_eq!(
        stored_line_costs(&raw, old[0]).await,
        [("133.89".to_owned(), 80), ("33.87".to_owned(), 20)]
    );
    assert_eq!(
        stored_line_costs(&raw, placed.id).await,
        [("140.00".to_owned(), 0), ("35.69".to_owned(), 0)]
    );

    // A split order releases its units to the cent: 3 of the 10 mice take
    // 3/10 of the line's 241.96, 33.87 and 20 points.
    let three = [shopcore::LineQuantity {
        product_id: ProductId::new(2).unwrap(),
        quantity: shopcore::Quantity::new(3).unwrap(),
    }];
    let cancelled = shopcore::OrderReturns::cancel_units(&*db.store, old[0], &three)
        .await
        .unwrap();
    let line = cancelled.cancelled_lines[0];
    assert_eq!(
        (line.amount.to_string(), line.tax.to_string(), line.points),
        ("72.59".to_owned(), "10.16".to_owned(), 6)
    );
    raw.close().await;
    db.drop_database().await;
}
