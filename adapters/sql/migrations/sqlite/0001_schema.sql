-- shopcore's schema on SQLite: the exact equivalent of the final state of the
-- MySQL migrations 0001-0015 (adapters/mysql/migrations), with the same table,
-- column, constraint and index names, so the adapter runs the same statements
-- on both. Storage conventions: integer ids are INTEGER PRIMARY KEY
-- AUTOINCREMENT (never reused); every other integer (INT, BIGINT, UNSIGNED,
-- BOOLEAN) is INTEGER, booleans 0/1 with CHECK (col IN (0, 1)) and unsigned
-- columns with CHECK (col >= 0); DECIMAL money, rates and percents are TEXT
-- holding the exact decimal string the application writes ('12.50'), never a
-- numeric declared type (SQLite's numeric affinity would turn them into
-- floats), their defaults text literals ('0.00'), and CHECKs compare them as
-- numbers with CAST(col AS REAL) (exact for DECIMAL(12,2): at most 12
-- significant digits); DATETIME(6) is TEXT in the fixed-width UTC form
-- 'YYYY-MM-DD HH:MM:SS.ffffff', which sorts chronologically as text, with a
-- strftime default only where MySQL has DEFAULT CURRENT_TIMESTAMP on a NOT
-- NULL column; VARCHAR/CHAR/TEXT/LONGTEXT (and JSON text) are TEXT with the
-- default BINARY collation (byte for byte, like utf8mb4_bin/ascii_bin) except
-- where case-insensitive matching is relied upon (COLLATE NOCASE, listed at
-- the end); foreign keys keep MySQL's ON DELETE behaviour and need
-- PRAGMA foreign_keys = ON on every connection.

-- customers (0001; 0002, 0004, 0007, 0012)
CREATE TABLE customers (
    customer_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    -- utf8mb4_bin since 0012: byte for byte (core writes shopcore::Email's normal form).
    email TEXT NOT NULL,
    phone TEXT NULL,
    loyalty_points INTEGER NOT NULL DEFAULT 0,          -- signed: may go below zero (0013)
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
    password_hash TEXT NULL
);
-- MySQL's implicit unique key of `email VARCHAR(100) NOT NULL UNIQUE` (0001) is named `email`.
CREATE UNIQUE INDEX email ON customers (email);

-- inventory (0001; 0002, 0004, 0007, 0008). 0002 dropped the original
-- ON UPDATE CURRENT_TIMESTAMP of last_updated: no trigger.
CREATE TABLE inventory (
    product_id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_name TEXT NOT NULL,
    quantity_available INTEGER NOT NULL DEFAULT 0,
    unit_price TEXT NOT NULL,                            -- DECIMAL(10,2)
    last_updated TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
    retired INTEGER NOT NULL DEFAULT 0 CHECK (retired IN (0, 1)),
    CONSTRAINT inventory_stock_not_negative CHECK (quantity_available >= 0)
);

-- pricing_rules (0001; 0002, 0004)
CREATE TABLE pricing_rules (
    rule_id INTEGER PRIMARY KEY AUTOINCREMENT,
    product_id INTEGER NOT NULL,
    min_quantity INTEGER NOT NULL,
    discount_percentage TEXT NOT NULL                    -- DECIMAL(5,2)
);
CREATE INDEX pricing_rules_by_product ON pricing_rules (product_id);

-- tax_rates (0001; 0002, 0004). The region is looked up case-insensitively
-- (utf8mb4_unicode_ci in MySQL): COLLATE NOCASE, see the end of the file.
CREATE TABLE tax_rates (
    region TEXT NOT NULL COLLATE NOCASE PRIMARY KEY,
    tax_rate TEXT NOT NULL                               -- DECIMAL(5,2)
);

-- orders (0001; 0002, 0003, 0004, 0007, 0009, 0014, 0015)
CREATE TABLE orders (
    order_id INTEGER PRIMARY KEY AUTOINCREMENT,
    customer_id INTEGER NULL,
    total_amount TEXT NOT NULL,                          -- DECIMAL(12,2)
    status TEXT NOT NULL DEFAULT 'created',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
    -- NULL-able as in MySQL (the original services' INSERTs do not name them).
    subtotal TEXT NULL,                                  -- DECIMAL(12,2)
    tax TEXT NULL,                                       -- DECIMAL(12,2)
    region TEXT NULL,
    points_earned INTEGER NOT NULL DEFAULT 0,
    points_revoked INTEGER NOT NULL DEFAULT 0,
    coupon_code TEXT NULL,                               -- ascii_general_ci; core upper-cases codes
    coupon_discount TEXT NOT NULL DEFAULT '0.00',        -- DECIMAL(12,2)
    points_redeemed INTEGER NOT NULL DEFAULT 0 CHECK (points_redeemed >= 0),   -- BIGINT UNSIGNED
    points_value TEXT NOT NULL DEFAULT '0.00',           -- DECIMAL(12,2)
    refund_due TEXT NOT NULL DEFAULT '0.00',             -- DECIMAL(12,2)
    settlement_version INTEGER NOT NULL DEFAULT 0 CHECK (settlement_version >= 0), -- BIGINT UNSIGNED
    rounding TEXT NOT NULL DEFAULT 'half_up',
    line_costs_kept INTEGER NOT NULL DEFAULT 1 CHECK (line_costs_kept IN (0, 1)),
    CONSTRAINT orders_deductions_not_negative
        CHECK (CAST(coupon_discount AS REAL) >= 0 AND CAST(points_value AS REAL) >= 0),
    CONSTRAINT orders_refund_due_not_negative CHECK (CAST(refund_due AS REAL) >= 0),
    CONSTRAINT orders_known_rounding CHECK (rounding IN ('half_up', 'half_even'))
);
CREATE INDEX orders_by_customer ON orders (customer_id, order_id);
CREATE INDEX orders_by_coupon ON orders (coupon_code, status, customer_id);
CREATE INDEX orders_line_costs_pending ON orders (line_costs_kept, order_id);

-- order_items (0001; 0002, 0004, 0009, 0015)
CREATE TABLE order_items (
    item_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NULL,
    product_id INTEGER NULL,
    quantity INTEGER NULL,
    unit_price TEXT NOT NULL DEFAULT '0.00',             -- DECIMAL(12,2)
    discount TEXT NOT NULL DEFAULT '0.00',               -- DECIMAL(12,2)
    line_total TEXT NULL,                                -- DECIMAL(12,2)
    coupon_share TEXT NOT NULL DEFAULT '0.00',           -- DECIMAL(12,2)
    points_share TEXT NOT NULL DEFAULT '0.00',           -- DECIMAL(12,2)
    tax TEXT NOT NULL DEFAULT '0.00',                    -- DECIMAL(12,2)
    points_redeemed INTEGER NOT NULL DEFAULT 0 CHECK (points_redeemed >= 0),   -- BIGINT UNSIGNED
    CONSTRAINT order_items_shares_not_negative
        CHECK (CAST(coupon_share AS REAL) >= 0 AND CAST(points_share AS REAL) >= 0),
    CONSTRAINT order_items_tax_not_negative CHECK (CAST(tax AS REAL) >= 0)
);
CREATE INDEX order_items_by_order ON order_items (order_id);

-- notification_log (0001; 0002, 0004, 0007)
CREATE TABLE notification_log (
    notification_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NULL,
    customer_id INTEGER NULL,
    notification_type TEXT NOT NULL,
    message TEXT NOT NULL,
    sent_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now'))
);
CREATE INDEX notification_log_by_order ON notification_log (order_id);
CREATE INDEX notification_log_by_customer ON notification_log (customer_id);

-- idempotency_keys (0002; 0004, 0006, 0007, 0012)
CREATE TABLE idempotency_keys (
    customer_id INTEGER NOT NULL DEFAULT 0,
    idempotency_key TEXT NOT NULL,                       -- utf8mb4_bin since 0012
    fingerprint TEXT NOT NULL,                           -- CHAR(64), compared in Rust
    order_id INTEGER NOT NULL,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
    PRIMARY KEY (customer_id, idempotency_key)
);

-- ledger_entries (0004; 0007, 0013, 0015). stock_adjustments and
-- loyalty_adjustments (0003) were moved into it and dropped by 0004.
CREATE TABLE ledger_entries (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    -- exactly one of product_id (a stock movement) and customer_id (points)
    product_id INTEGER NULL,
    customer_id INTEGER NULL,
    delta INTEGER NOT NULL,
    balance_after INTEGER NOT NULL,
    reason TEXT NOT NULL,
    -- the order an 'order', 'cancel' or 'return' movement belongs to; NULL for 'manual'
    order_id INTEGER NULL,
    recorded_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f000', 'now')),
    CONSTRAINT ledger_one_account CHECK ((product_id IS NULL) <> (customer_id IS NULL)),
    CONSTRAINT ledger_known_reason CHECK (reason IN ('order', 'cancel', 'return', 'manual')),
    CONSTRAINT ledger_order_named CHECK ((reason = 'manual') = (order_id IS NULL)),
    CONSTRAINT ledger_stock_not_negative CHECK (product_id IS NULL OR balance_after >= 0)
);
CREATE INDEX ledger_by_product ON ledger_entries (product_id, entry_id);
CREATE INDEX ledger_by_customer ON ledger_entries (customer_id, entry_id);
CREATE INDEX ledger_by_order ON ledger_entries (order_id);

-- sessions (0005)
CREATE TABLE sessions (
    token_hash TEXT NOT NULL PRIMARY KEY,                -- CHAR(64) ascii_bin
    customer_id INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    revoked_at TEXT NULL
);
CREATE INDEX sessions_by_customer ON sessions (customer_id);

-- staff_keys (0005)
CREATE TABLE staff_keys (
    key_id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    role TEXT NOT NULL,
    key_hash TEXT NOT NULL,                              -- CHAR(64) ascii_bin
    created_at TEXT NOT NULL,
    revoked_at TEXT NULL,
    CONSTRAINT staff_keys_known_role CHECK (role IN ('support', 'inventory', 'admin'))
);
CREATE UNIQUE INDEX staff_keys_one_per_secret ON staff_keys (key_hash);

-- catalog_changes (0008)
CREATE TABLE catalog_changes (
    change_id INTEGER PRIMARY KEY AUTOINCREMENT,
    changed_at TEXT NOT NULL,
    -- anonymous (legacy mode), customer or staff; the customer or staff key id.
    actor_kind TEXT NOT NULL,
    actor_id INTEGER NULL,
    actor_role TEXT NULL,
    -- product, ladder or tax_rate; the product or the region it is about.
    subject TEXT NOT NULL,
    product_id INTEGER NULL,
    region TEXT NULL,
    before_value TEXT NULL,                              -- LONGTEXT holding JSON
    after_value TEXT NULL,                               -- LONGTEXT holding JSON
    CONSTRAINT catalog_changes_known_actor CHECK (actor_kind IN ('anonymous', 'customer', 'staff')),
    CONSTRAINT catalog_changes_known_subject CHECK (subject IN ('product', 'ladder', 'tax_rate')),
    CONSTRAINT catalog_changes_names_its_subject CHECK (
        (subject = 'tax_rate' AND region IS NOT NULL AND product_id IS NULL)
        OR (subject <> 'tax_rate' AND product_id IS NOT NULL AND region IS NULL)),
    CONSTRAINT catalog_changes_before_is_json CHECK (before_value IS NULL OR json_valid(before_value)),
    CONSTRAINT catalog_changes_after_is_json CHECK (after_value IS NULL OR json_valid(after_value)),
    CONSTRAINT catalog_changes_changes_something CHECK (before_value IS NOT NULL OR after_value IS NOT NULL)
);

-- coupons (0009). Codes are ASCII, upper-cased by shopcore::CouponCode before
-- they reach SQL: BINARY (see the end of the file).
CREATE TABLE coupons (
    code TEXT NOT NULL PRIMARY KEY,
    percent_off TEXT NULL,                               -- DECIMAL(5,2)
    amount_off TEXT NULL,                                -- DECIMAL(12,2)
    min_subtotal TEXT NOT NULL DEFAULT '0.00',           -- DECIMAL(12,2)
    valid_from TEXT NULL,
    valid_until TEXT NULL,
    max_redemptions INTEGER NULL CHECK (max_redemptions >= 0),     -- INT UNSIGNED
    max_per_customer INTEGER NULL CHECK (max_per_customer >= 0),   -- INT UNSIGNED
    active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT coupons_code_upper CHECK (code = UPPER(code) AND code <> ''),
    CONSTRAINT coupons_one_value CHECK (
        (percent_off IS NOT NULL AND amount_off IS NULL
            AND CAST(percent_off AS REAL) > 0 AND CAST(percent_off AS REAL) <= 100)
        OR (percent_off IS NULL AND amount_off IS NOT NULL AND CAST(amount_off AS REAL) > 0)),
    CONSTRAINT coupons_min_subtotal CHECK (CAST(min_subtotal AS REAL) >= 0),
    -- fixed-width UTC text: text order is time order
    CONSTRAINT coupons_window CHECK (valid_from IS NULL OR valid_until IS NULL OR valid_from < valid_until),
    CONSTRAINT coupons_limits CHECK (
        (max_redemptions IS NULL OR max_redemptions >= 1)
        AND (max_per_customer IS NULL OR max_per_customer >= 1))
);

-- webhook_endpoints (0010)
CREATE TABLE webhook_endpoints (
    webhook_id INTEGER PRIMARY KEY AUTOINCREMENT,
    url TEXT NOT NULL,
    -- Comma-separated event names, e.g. 'order.cancelled,order.placed' (matched in Rust).
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    created_at TEXT NOT NULL,
    deleted_at TEXT NULL
);

-- notification_deliveries (0010)
CREATE TABLE notification_deliveries (
    delivery_id INTEGER PRIMARY KEY AUTOINCREMENT,
    notification_id INTEGER NOT NULL,
    channel TEXT NOT NULL,
    webhook_id INTEGER NULL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),     -- INT UNSIGNED
    next_attempt_at TEXT NOT NULL,
    last_error TEXT NULL,
    delivered_at TEXT NULL,
    CONSTRAINT deliveries_notification FOREIGN KEY (notification_id)
        REFERENCES notification_log (notification_id) ON DELETE CASCADE,
    CONSTRAINT deliveries_webhook FOREIGN KEY (webhook_id)
        REFERENCES webhook_endpoints (webhook_id),
    CONSTRAINT deliveries_channel CHECK (
        (channel = 'email' AND webhook_id IS NULL) OR (channel = 'webhook' AND webhook_id IS NOT NULL)),
    CONSTRAINT deliveries_status CHECK (status IN ('pending', 'delivered', 'failed'))
);
CREATE INDEX deliveries_due ON notification_deliveries (status, next_attempt_at);
CREATE INDEX deliveries_by_notification ON notification_deliveries (notification_id);
-- InnoDB's implicit index for the foreign key (named after the constraint).
CREATE INDEX deliveries_webhook ON notification_deliveries (webhook_id);

-- throttle_counts (0011)
CREATE TABLE throttle_counts (
    throttle_key TEXT NOT NULL PRIMARY KEY,              -- CHAR(64) ascii_bin
    attempts INTEGER NOT NULL CHECK (attempts >= 0),     -- INT UNSIGNED
    window_ends TEXT NOT NULL,
    last_at TEXT NOT NULL
);
CREATE INDEX throttle_counts_by_window_end ON throttle_counts (window_ends);

-- payments (0014; 0015)
CREATE TABLE payments (
    payment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    method TEXT NOT NULL,
    -- The provider's reference (ascii_bin): compared byte for byte (`pi_A` is not `pi_a`).
    reference TEXT NOT NULL,
    amount TEXT NOT NULL,                                -- DECIMAL(12,2)
    status TEXT NOT NULL,
    amount_captured TEXT NOT NULL DEFAULT '0.00',        -- DECIMAL(12,2)
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    amount_released TEXT NOT NULL DEFAULT '0.00',        -- DECIMAL(12,2)
    amount_refunded TEXT NOT NULL DEFAULT '0.00',        -- DECIMAL(12,2)
    CONSTRAINT payments_known_status CHECK (status IN ('authorized', 'captured', 'voided')),
    CONSTRAINT payments_amount_positive CHECK (CAST(amount AS REAL) > 0),
    CONSTRAINT payments_captured_within_amount CHECK (
        CAST(amount_captured AS REAL) >= 0
        AND CAST(amount_captured AS REAL) <= CAST(amount AS REAL)
        AND (status = 'captured' OR CAST(amount_captured AS REAL) = 0)),
    -- The sum is rounded back to cents: a float sum (0.10 + 0.20) can miss
    -- the double of the exact decimal sum by one ulp; ROUND(…, 2) gives it exactly.
    CONSTRAINT payments_released_within_amount CHECK (
        CAST(amount_released AS REAL) >= 0
        AND ROUND(CAST(amount_captured AS REAL) + CAST(amount_released AS REAL), 2)
            <= CAST(amount AS REAL)),
    CONSTRAINT payments_refunded_within_captured CHECK (
        CAST(amount_refunded AS REAL) >= 0
        AND CAST(amount_refunded AS REAL) <= CAST(amount_captured AS REAL))
);
CREATE UNIQUE INDEX payments_reference_per_order ON payments (order_id, reference);

-- payment_ledger (0014; 0015)
CREATE TABLE payment_ledger (
    entry_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    payment_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    amount TEXT NOT NULL,                                -- DECIMAL(12,2)
    authorized_after TEXT NOT NULL,                      -- DECIMAL(12,2)
    captured_after TEXT NOT NULL,                        -- DECIMAL(12,2)
    created_at TEXT NOT NULL,
    CONSTRAINT payment_ledger_payment FOREIGN KEY (payment_id) REFERENCES payments (payment_id),
    CONSTRAINT payment_ledger_known_kind
        CHECK (kind IN ('authorized', 'captured', 'released', 'refunded')),
    CONSTRAINT payment_ledger_amount_positive CHECK (CAST(amount AS REAL) > 0),
    CONSTRAINT payment_ledger_balances_not_negative
        CHECK (CAST(authorized_after AS REAL) >= 0 AND CAST(captured_after AS REAL) >= 0)
);
CREATE INDEX payment_ledger_by_order ON payment_ledger (order_id, entry_id);
-- InnoDB's implicit index for the foreign key (named after the constraint).
CREATE INDEX payment_ledger_payment ON payment_ledger (payment_id);

-- fulfillments (0014)
CREATE TABLE fulfillments (
    fulfillment_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    carrier TEXT NULL,
    tracking_number TEXT NULL,                           -- ascii_general_ci; never looked up
    created_at TEXT NOT NULL
);
CREATE INDEX fulfillments_by_order ON fulfillments (order_id, fulfillment_id);

-- fulfillment_items (0014)
CREATE TABLE fulfillment_items (
    item_id INTEGER PRIMARY KEY AUTOINCREMENT,
    fulfillment_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    CONSTRAINT fulfillment_items_fulfillment FOREIGN KEY (fulfillment_id)
        REFERENCES fulfillments (fulfillment_id) ON DELETE CASCADE,
    CONSTRAINT fulfillment_items_quantity_positive CHECK (quantity > 0)
);
CREATE INDEX fulfillment_items_by_fulfillment ON fulfillment_items (fulfillment_id, item_id);

-- returns (0015)
CREATE TABLE returns (
    return_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    restock INTEGER NOT NULL CHECK (restock IN (0, 1)),
    reason TEXT NULL,
    requested_by_customer INTEGER NOT NULL CHECK (requested_by_customer IN (0, 1)),
    -- The Idempotency-Key it was created with (utf8mb4_bin: compared exactly,
    -- per order), and the digest of that request.
    idempotency_key TEXT NULL,
    request_fingerprint TEXT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    CONSTRAINT returns_keyed CHECK ((idempotency_key IS NULL) = (request_fingerprint IS NULL)),
    CONSTRAINT returns_known_status CHECK (status IN ('requested', 'received', 'rejected'))
);
CREATE INDEX returns_by_order ON returns (order_id, return_id);
CREATE UNIQUE INDEX returns_key ON returns (order_id, idempotency_key);
CREATE INDEX returns_by_status ON returns (status, return_id);

-- return_items (0015)
CREATE TABLE return_items (
    item_id INTEGER PRIMARY KEY AUTOINCREMENT,
    return_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    CONSTRAINT return_items_return FOREIGN KEY (return_id)
        REFERENCES returns (return_id) ON DELETE CASCADE,
    CONSTRAINT return_items_quantity_positive CHECK (quantity > 0)
);
CREATE INDEX return_items_by_return ON return_items (return_id, item_id);

-- releases (0015)
CREATE TABLE releases (
    release_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    cause TEXT NOT NULL,
    return_id INTEGER NULL,
    -- Whether its units went back to stock (always for a cancellation).
    restocked INTEGER NOT NULL CHECK (restocked IN (0, 1)),
    points_revoked INTEGER NOT NULL DEFAULT 0 CHECK (points_revoked >= 0),     -- BIGINT UNSIGNED
    created_at TEXT NOT NULL,
    CONSTRAINT releases_return FOREIGN KEY (return_id) REFERENCES returns (return_id),
    CONSTRAINT releases_known_cause CHECK (cause IN ('cancellation', 'return')),
    CONSTRAINT releases_return_named CHECK ((cause = 'return') = (return_id IS NOT NULL))
);
CREATE INDEX releases_by_order ON releases (order_id, release_id);
-- InnoDB's implicit index for the foreign key (named after the constraint).
CREATE INDEX releases_return ON releases (return_id);

-- release_items (0015)
CREATE TABLE release_items (
    item_id INTEGER PRIMARY KEY AUTOINCREMENT,
    release_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    amount TEXT NOT NULL,                                -- DECIMAL(12,2)
    tax TEXT NOT NULL,                                   -- DECIMAL(12,2)
    points INTEGER NOT NULL DEFAULT 0 CHECK (points >= 0),         -- BIGINT UNSIGNED
    CONSTRAINT release_items_release FOREIGN KEY (release_id)
        REFERENCES releases (release_id) ON DELETE CASCADE,
    CONSTRAINT release_items_quantity_positive CHECK (quantity > 0),
    CONSTRAINT release_items_money_not_negative
        CHECK (CAST(amount AS REAL) >= 0 AND CAST(tax AS REAL) >= 0)
);
CREATE INDEX release_items_by_release ON release_items (release_id, item_id);

-- refunds (0015)
CREATE TABLE refunds (
    refund_id INTEGER PRIMARY KEY AUTOINCREMENT,
    order_id INTEGER NOT NULL,
    kind TEXT NOT NULL,
    return_id INTEGER NULL,
    -- Money and tax together; `tax` is its tax part.
    amount TEXT NOT NULL,                                -- DECIMAL(12,2)
    tax TEXT NOT NULL,                                   -- DECIMAL(12,2)
    points_returned INTEGER NOT NULL DEFAULT 0 CHECK (points_returned >= 0),   -- BIGINT UNSIGNED
    reason TEXT NULL,
    -- A goodwill refund's Idempotency-Key (utf8mb4_bin, per order) and request digest.
    idempotency_key TEXT NULL,
    request_fingerprint TEXT NULL,
    created_at TEXT NOT NULL,
    CONSTRAINT refunds_keyed CHECK ((idempotency_key IS NULL) = (request_fingerprint IS NULL)),
    CONSTRAINT refunds_return FOREIGN KEY (return_id) REFERENCES returns (return_id),
    CONSTRAINT refunds_known_kind CHECK (kind IN ('cancellation', 'return', 'goodwill')),
    CONSTRAINT refunds_return_named CHECK ((kind = 'return') = (return_id IS NOT NULL)),
    CONSTRAINT refunds_amount_positive CHECK (
        CAST(amount AS REAL) > 0 AND CAST(tax AS REAL) >= 0
        AND CAST(tax AS REAL) <= CAST(amount AS REAL))
);
CREATE INDEX refunds_by_order ON refunds (order_id, refund_id);
CREATE UNIQUE INDEX refunds_key ON refunds (order_id, idempotency_key);
-- InnoDB's implicit index for the foreign key (named after the constraint).
CREATE INDEX refunds_return ON refunds (return_id);

-- refund_items (0015)
CREATE TABLE refund_items (
    item_id INTEGER PRIMARY KEY AUTOINCREMENT,
    refund_id INTEGER NOT NULL,
    product_id INTEGER NOT NULL,
    quantity INTEGER NOT NULL,
    amount TEXT NOT NULL,                                -- DECIMAL(12,2)
    tax TEXT NOT NULL,                                   -- DECIMAL(12,2)
    CONSTRAINT refund_items_refund FOREIGN KEY (refund_id)
        REFERENCES refunds (refund_id) ON DELETE CASCADE,
    CONSTRAINT refund_items_quantity_positive CHECK (quantity > 0),
    CONSTRAINT refund_items_money CHECK (
        CAST(amount AS REAL) >= 0 AND CAST(tax AS REAL) >= 0
        AND CAST(tax AS REAL) <= CAST(amount AS REAL))
);
CREATE INDEX refund_items_by_refund ON refund_items (refund_id, item_id);

-- refund_parts (0015)
CREATE TABLE refund_parts (
    part_id INTEGER PRIMARY KEY AUTOINCREMENT,
    refund_id INTEGER NOT NULL,
    payment_id INTEGER NOT NULL,
    amount TEXT NOT NULL,                                -- DECIMAL(12,2)
    CONSTRAINT refund_parts_refund FOREIGN KEY (refund_id)
        REFERENCES refunds (refund_id) ON DELETE CASCADE,
    CONSTRAINT refund_parts_payment FOREIGN KEY (payment_id) REFERENCES payments (payment_id),
    CONSTRAINT refund_parts_amount_positive CHECK (CAST(amount AS REAL) > 0)
);
CREATE INDEX refund_parts_by_refund ON refund_parts (refund_id, part_id);
-- InnoDB's implicit index for the foreign key (named after the constraint).
CREATE INDEX refund_parts_payment ON refund_parts (payment_id);

-- No special rows: no MySQL migration inserts a sequence or settings row
-- (0004's INSERT … SELECT only moved 0003's adjustments; 0002, 0006, 0012 and
-- 0015 only fix pre-existing rows). Seeding is the application's.

-- ---------------------------------------------------------------------------
-- Case-insensitive MySQL columns that are keys or looked up (checked against
-- adapters/mysql/src and core/src):
--   tax_rates.region (PRIMARY KEY, utf8mb4_unicode_ci): NOT normalized: core
--     keeps the region as typed (Region::parse only trims; Region::key()
--     lower-cases for Rust-side comparison) and looks it up with
--     `WHERE region = ?` / `ON t.region = ?` and upserts on the key, relying on
--     `giza` finding `Giza` -> COLLATE NOCASE (also makes the primary key
--     case-insensitive, as in MySQL).
--   coupons.code (PRIMARY KEY, ascii_general_ci) and orders.coupon_code
--     (orders_by_coupon, ascii_general_ci): normalized: CouponCode::parse
--     accepts only ASCII [A-Za-z0-9_-] and upper-cases it; every lookup binds
--     CouponCode::as_str() -> BINARY (ORDER BY code is the same order for
--     upper-case ASCII).
--   orders.status, notification_log.notification_type,
--     notification_deliveries.status, returns.status (utf8mb4_unicode_ci /
--     ascii_general_ci, in indexes or WHERE clauses): only core constants are
--     written and compared ('created', NotificationKind/DeliveryStatus/
--     ReturnStatus::as_str) -> BINARY.
--   Not case-insensitive (binary collation in MySQL) -> BINARY: customers.email
--     (utf8mb4_bin since 0012; Email is trimmed, lower-cased, NFC),
--     idempotency_keys.idempotency_key, returns/refunds.idempotency_key
--     (utf8mb4_bin), payments.reference, sessions.token_hash,
--     staff_keys.key_hash, throttle_counts.throttle_key (ascii_bin).
--   Case-insensitive in MySQL but never a key or looked up -> BINARY, no
--     behaviour change: inventory.product_name, fulfillments.tracking_number,
--     fulfillments.carrier, payments.method, customers.name/phone,
--     staff_keys.name, webhook_endpoints.url/events/secret (events matched in
--     Rust), orders.region, catalog_changes.region, the *_fingerprint columns
--     (compared in Rust), reasons and messages.
--
-- Tables and their MySQL origin (27):
--   customers 0001 (0002, 0004, 0007, 0012); inventory 0001 (0002, 0004, 0007,
--   0008); pricing_rules 0001 (0002, 0004); tax_rates 0001 (0002, 0004);
--   orders 0001 (0002, 0003, 0004, 0007, 0009, 0014, 0015); order_items 0001
--   (0002, 0004, 0009, 0015); notification_log 0001 (0002, 0004, 0007);
--   idempotency_keys 0002 (0004, 0006, 0007, 0012); ledger_entries 0004 (0007,
--   0013, 0015); sessions 0005; staff_keys 0005; catalog_changes 0008;
--   coupons 0009; webhook_endpoints 0010; notification_deliveries 0010;
--   throttle_counts 0011; payments 0014 (0015); payment_ledger 0014 (0015);
--   fulfillments 0014; fulfillment_items 0014; returns, return_items,
--   releases, release_items, refunds, refund_items, refund_parts 0015.
--   (stock_adjustments and loyalty_adjustments: created by 0003, dropped by
--   0004, not created here. No MySQL generated columns exist.)
--
-- Not translated exactly, and why:
--   1. tax_rates.region is NOCASE. The store's connections replace SQLite's
--      NOCASE (ASCII letters only) with the core's own comparison, whole-
--      Unicode lower case (ÉTÉ = été, as Region::key compares them), so that
--      a region is one row whatever its case; another program opening the
--      file gets SQLite's built-in NOCASE. utf8mb4_unicode_ci also ignores
--      accents (Caïro = Cairo); here, as in the core, they are two regions.
--   2. MySQL's collations here (the _bin ones too) are PAD SPACE: trailing
--      spaces are ignored in comparisons and unique keys; SQLite's are not.
--      No effect for core's values: every text type is trimmed.
--   3. CHECKs on case-insensitive MySQL columns (status, role, reason, kind,
--      cause, rounding, channel, actor_kind, subject) accept any case there
--      ('PENDING'); here only the exact spelling. coupons_code_upper is vacuous
--      under ascii_general_ci (code = UPPER(code) always holds) but enforced
--      here. Stricter only; core writes exactly these spellings.
--   4. VARCHAR(n)/CHAR(n) lengths and ascii character sets are not enforced
--      (TEXT takes any length of UTF-8); core's value types bound lengths and
--      check ASCII where the column is ascii.
--   5. DECIMAL(p,s): nothing rounds to the scale or rejects overflow, and the
--      text is stored as written (no format checks, by design); CHECKs compare
--      CAST(… AS REAL), exact for up to 15 significant digits, with the one
--      sum (payments_released_within_amount) rounded to cents.
--   6. Integer ranges: INT (32-bit) limits are not enforced; BIGINT UNSIGNED
--      above 2^63-1 is not representable (unsigned kept as CHECK >= 0).
--      BOOLEAN (TINYINT(1), -128..127 in MySQL) is restricted to 0/1 here.
--   7. DATETIME(6): any text is accepted and order relies on the fixed-width
--      form; the strftime defaults use SQLite's UTC clock to the millisecond
--      (padded to six digits), MySQL's session clock to the microsecond.
--   8. json_valid (SQLite) for JSON_VALID (MySQL): both RFC 8259, limits on
--      nesting depth differ.
--   9. Foreign keys hold only with PRAGMA foreign_keys = ON, and SQLite checks
--      NO ACTION at the end of each statement, InnoDB row by row. InnoDB's
--      implicit foreign-key indexes are created explicitly under their MySQL
--      names (deliveries_webhook, payment_ledger_payment, releases_return,
--      refunds_return, refund_parts_payment), so FORCE INDEX (x) can become
--      INDEXED BY x; `email` is the implicit name of customers' unique key.
