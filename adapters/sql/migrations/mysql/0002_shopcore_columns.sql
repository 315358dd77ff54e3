-- shopcore's additions, applied in place to the original schema. Table and
-- column names are kept so the original services' SQL still works; columns are
-- only added or widened, and existing rows are backfilled.
--
-- Plain MySQL syntax only (no MariaDB-only IF NOT EXISTS on columns), so the
-- same migration runs on MySQL 8 and MySQL-compatible distributed SQL.

-- Customers: password hashes get a column; points widen to BIGINT.
UPDATE customers SET loyalty_points = 0 WHERE loyalty_points IS NULL OR loyalty_points < 0;
ALTER TABLE customers
    MODIFY COLUMN email VARCHAR(254) NOT NULL,
    MODIFY COLUMN loyalty_points BIGINT NOT NULL DEFAULT 0,
    MODIFY COLUMN created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN password_hash VARCHAR(255) NULL;

-- Inventory: stock can never go negative, whatever SQL touches it.
UPDATE inventory SET quantity_available = 0 WHERE quantity_available < 0;
ALTER TABLE inventory
    MODIFY COLUMN last_updated TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD CONSTRAINT inventory_stock_not_negative CHECK (quantity_available >= 0);

-- Rules and tax rates: no NULL tiers or rates; rules found by product.
DELETE FROM pricing_rules
    WHERE product_id IS NULL OR min_quantity IS NULL OR discount_percentage IS NULL;
ALTER TABLE pricing_rules
    MODIFY COLUMN product_id INT NOT NULL,
    MODIFY COLUMN min_quantity INT NOT NULL,
    MODIFY COLUMN discount_percentage DECIMAL(5,2) NOT NULL,
    ADD INDEX pricing_rules_by_product (product_id);
DELETE FROM tax_rates WHERE tax_rate IS NULL;
ALTER TABLE tax_rates MODIFY COLUMN tax_rate DECIMAL(5,2) NOT NULL;

-- Orders: the priced breakdown, region and points earned.
UPDATE orders SET status = 'created' WHERE status IS NULL;
ALTER TABLE orders
    MODIFY COLUMN status VARCHAR(20) NOT NULL DEFAULT 'created',
    MODIFY COLUMN created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD COLUMN subtotal DECIMAL(12,2) NULL,
    ADD COLUMN tax DECIMAL(12,2) NULL,
    ADD COLUMN region VARCHAR(50) NULL,
    ADD COLUMN points_earned BIGINT NOT NULL DEFAULT 0,
    ADD INDEX orders_by_customer (customer_id, order_id);

-- Order items: discount and line total, kept with the unit price.
UPDATE order_items SET unit_price = 0 WHERE unit_price IS NULL;
ALTER TABLE order_items
    MODIFY COLUMN unit_price DECIMAL(12,2) NOT NULL DEFAULT 0,
    ADD COLUMN discount DECIMAL(12,2) NOT NULL DEFAULT 0,
    ADD COLUMN line_total DECIMAL(12,2) NULL,
    ADD INDEX order_items_by_order (order_id);
UPDATE order_items SET line_total = quantity * unit_price WHERE line_total IS NULL;

-- Orders written by the original services: the subtotal is the sum of their
-- items, the tax whatever the total holds beyond it, the region unknown.
UPDATE orders o
    SET o.subtotal = COALESCE((SELECT SUM(i.line_total) FROM order_items i WHERE i.order_id = o.order_id), 0)
    WHERE o.subtotal IS NULL;
UPDATE orders
    SET total_amount = COALESCE(total_amount, subtotal),
        tax = GREATEST(COALESCE(total_amount, subtotal) - subtotal, 0),
        region = COALESCE(region, 'legacy')
    WHERE tax IS NULL OR region IS NULL;
ALTER TABLE orders MODIFY COLUMN total_amount DECIMAL(12,2) NOT NULL;
-- subtotal, tax, region (orders) and line_total (order_items) stay NULL-able:
-- the original services' INSERTs, which do not name them, must keep working.
-- The adapter reads such rows with the same fallbacks as the backfill above.

-- Notification log: listed by order and by customer, newest first.
UPDATE notification_log SET notification_type = 'legacy' WHERE notification_type IS NULL;
UPDATE notification_log SET message = '' WHERE message IS NULL;
ALTER TABLE notification_log
    MODIFY COLUMN notification_type VARCHAR(50) NOT NULL,
    MODIFY COLUMN message TEXT NOT NULL,
    MODIFY COLUMN sent_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    ADD INDEX notification_log_by_order (order_id),
    ADD INDEX notification_log_by_customer (customer_id);

-- Idempotency keys of checkouts, with the fingerprint of the first request.
CREATE TABLE idempotency_keys (
    idempotency_key VARCHAR(255) NOT NULL PRIMARY KEY,
    fingerprint CHAR(64) NOT NULL,
    order_id INT NOT NULL,
    created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP
);
