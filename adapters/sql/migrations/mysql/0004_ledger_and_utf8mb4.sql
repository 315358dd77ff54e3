-- One write path: every movement of stock or points, whatever caused it (an
-- order, a cancel, a manual adjustment), is a row of one ledger, written in
-- the same transaction as the movement with the balance it left. The manual
-- adjustments of 0003 move into it; orders.points_revoked stays (the cancel
-- also records it there). With the ledger the books balance from the database
-- alone (shopcore::audit): per product and per customer the entries chain from
-- the opening balance to the stored one, and match the orders.
--
-- And every table is utf8mb4, whatever the server's or the original
-- database's default: the database default first (for tables created later),
-- then each of shopcore's tables converted in place.

ALTER DATABASE CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE customers CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE inventory CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE pricing_rules CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE tax_rates CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE orders CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE order_items CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE notification_log CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
ALTER TABLE idempotency_keys CONVERT TO CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;

CREATE TABLE ledger_entries (
    entry_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    -- exactly one of product_id (a stock movement) and customer_id (points)
    product_id INT NULL,
    customer_id INT NULL,
    delta BIGINT NOT NULL,
    balance_after BIGINT NOT NULL,
    reason VARCHAR(10) NOT NULL,
    -- the order an 'order' or 'cancel' movement belongs to; NULL for 'manual'
    order_id INT NULL,
    recorded_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ledger_one_account CHECK ((product_id IS NULL) <> (customer_id IS NULL)),
    CONSTRAINT ledger_known_reason CHECK (reason IN ('order', 'cancel', 'manual')),
    CONSTRAINT ledger_order_named CHECK ((reason = 'manual') = (order_id IS NULL)),
    CONSTRAINT ledger_balance_not_negative CHECK (balance_after >= 0),
    INDEX ledger_by_product (product_id, entry_id),
    INDEX ledger_by_customer (customer_id, entry_id),
    INDEX ledger_by_order (order_id)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

INSERT INTO ledger_entries (product_id, delta, balance_after, reason, recorded_at)
    SELECT product_id, quantity_change, quantity_after, 'manual', adjusted_at
    FROM stock_adjustments ORDER BY adjustment_id;
INSERT INTO ledger_entries (customer_id, delta, balance_after, reason, recorded_at)
    SELECT customer_id, points_change, points_after, 'manual', adjusted_at
    FROM loyalty_adjustments ORDER BY adjustment_id;
DROP TABLE stock_adjustments;
DROP TABLE loyalty_adjustments;
