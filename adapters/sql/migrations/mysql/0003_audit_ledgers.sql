-- Audit ledgers: every manual stock and loyalty adjustment is kept, in the
-- same transaction as the change, and a cancel records the points it revoked
-- (which can be fewer than the order earned if points were spent meanwhile).
-- With them the books balance from the database alone:
--   stock  = starting stock  - units in live orders + SUM(stock_adjustments)
--   points = starting points + earned - revoked     + SUM(loyalty_adjustments)

ALTER TABLE orders ADD COLUMN points_revoked BIGINT NOT NULL DEFAULT 0;

CREATE TABLE stock_adjustments (
    adjustment_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    product_id INT NOT NULL,
    quantity_change BIGINT NOT NULL,
    quantity_after INT NOT NULL,
    adjusted_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    INDEX stock_adjustments_by_product (product_id)
);

CREATE TABLE loyalty_adjustments (
    adjustment_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    customer_id INT NOT NULL,
    points_change BIGINT NOT NULL,
    points_after BIGINT NOT NULL,
    adjusted_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    INDEX loyalty_adjustments_by_customer (customer_id)
);
