-- Coupons and paying with points. A coupon takes a percentage or an amount
-- off the subtotal after tier discounts; an order records the coupon it used,
-- what it took off, the points it redeemed and their value, and each line its
-- share of both (largest remainder, to the cent). A coupon's use is counted
-- from its orders that are not cancelled (the index below), under a lock on
-- the coupon's row, so N remaining redemptions are sold exactly N times.

CREATE TABLE coupons (
    code VARCHAR(32) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL PRIMARY KEY,
    percent_off DECIMAL(5,2) NULL,
    amount_off DECIMAL(12,2) NULL,
    min_subtotal DECIMAL(12,2) NOT NULL DEFAULT 0,
    valid_from DATETIME(6) NULL,
    valid_until DATETIME(6) NULL,
    max_redemptions INT UNSIGNED NULL,
    max_per_customer INT UNSIGNED NULL,
    active BOOLEAN NOT NULL DEFAULT TRUE,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    -- Codes are stored upper case (and compared without case either way).
    CONSTRAINT coupons_code_upper CHECK (code = UPPER(code) AND code <> ''),
    CONSTRAINT coupons_one_value CHECK (
        (percent_off IS NOT NULL AND amount_off IS NULL AND percent_off > 0 AND percent_off <= 100)
        OR (percent_off IS NULL AND amount_off IS NOT NULL AND amount_off > 0)),
    CONSTRAINT coupons_min_subtotal CHECK (min_subtotal >= 0),
    CONSTRAINT coupons_window CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until),
    CONSTRAINT coupons_limits CHECK (
        (max_redemptions IS NULL OR max_redemptions >= 1)
        AND (max_per_customer IS NULL OR max_per_customer >= 1))
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

ALTER TABLE orders
    ADD COLUMN coupon_code VARCHAR(32) CHARACTER SET ascii COLLATE ascii_general_ci NULL,
    ADD COLUMN coupon_discount DECIMAL(12,2) NOT NULL DEFAULT 0,
    ADD COLUMN points_redeemed BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD COLUMN points_value DECIMAL(12,2) NOT NULL DEFAULT 0,
    ADD INDEX orders_by_coupon (coupon_code, status, customer_id),
    ADD CONSTRAINT orders_deductions_not_negative CHECK (coupon_discount >= 0 AND points_value >= 0);

ALTER TABLE order_items
    ADD COLUMN coupon_share DECIMAL(12,2) NOT NULL DEFAULT 0,
    ADD COLUMN points_share DECIMAL(12,2) NOT NULL DEFAULT 0,
    ADD CONSTRAINT order_items_shares_not_negative CHECK (coupon_share >= 0 AND points_share >= 0);
