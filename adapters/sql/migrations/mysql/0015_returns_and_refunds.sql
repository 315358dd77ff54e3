-- What comes back from an order: units released (cancelled before they
-- shipped, or returned after), returns, and refunds.
--
-- Every line keeps what its units cost, as the checkout allocated it: its
-- net price (line total less its coupon and points shares, kept since 0009),
-- its tax and its redeemed points. A release takes a share of what is left
-- of each line it names (shopcore::release_share), so the releases of a line
-- always sum to what it cost, and a refund pays back what was paid for them.
--
-- Orders placed before this migration have their tax and redeemed points on
-- the order only: they are marked `line_costs_kept = FALSE` here, and the
-- adapter splits them over their lines right after migrating, in Rust
-- (shopcore::line_costs: the split a checkout makes), a batch of orders per
-- transaction, setting the mark as it goes. Orders written later by the
-- original services have no tax or points to split (their lines keep 0.00
-- and 0, which is their split), so the mark defaults to TRUE.
--
-- Galera: every write of a release, a return or a refund also bumps the
-- order's `settlement_version`, as payments and shipments do (see 0014).

ALTER TABLE order_items
    -- The line's part of the order's tax.
    ADD COLUMN tax DECIMAL(12,2) NOT NULL DEFAULT 0.00,
    -- The line's part of the order's redeemed points, in whole points.
    ADD COLUMN points_redeemed BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD CONSTRAINT order_items_tax_not_negative CHECK (tax >= 0);

ALTER TABLE orders
    -- How the order's amounts were rounded; its releases round the same way.
    ADD COLUMN rounding VARCHAR(9) CHARACTER SET ascii NOT NULL DEFAULT 'half_up',
    -- Whether its lines hold their tax and redeemed points (see above).
    ADD COLUMN line_costs_kept BOOLEAN NOT NULL DEFAULT TRUE,
    -- What is left to split, found at every start without scanning `orders`.
    ADD INDEX orders_line_costs_pending (line_costs_kept, order_id),
    ADD CONSTRAINT orders_known_rounding CHECK (rounding IN ('half_up', 'half_even'));
UPDATE orders SET line_costs_kept = FALSE;

ALTER TABLE payments
    -- What of an authorization was let go while it stays authorized.
    ADD COLUMN amount_released DECIMAL(12,2) NOT NULL DEFAULT 0.00,
    -- What of the captured money was refunded.
    ADD COLUMN amount_refunded DECIMAL(12,2) NOT NULL DEFAULT 0.00,
    ADD CONSTRAINT payments_released_within_amount CHECK (
        amount_released >= 0 AND amount_captured + amount_released <= amount),
    ADD CONSTRAINT payments_refunded_within_captured CHECK (
        amount_refunded >= 0 AND amount_refunded <= amount_captured);

-- Refunded money leaves the captured balance (`captured_after` is captured
-- and not refunded).
ALTER TABLE payment_ledger
    DROP CONSTRAINT payment_ledger_known_kind,
    ADD CONSTRAINT payment_ledger_known_kind
        CHECK (kind IN ('authorized', 'captured', 'released', 'refunded'));

-- Stock restocked, points given back or revoked by a received return.
ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_known_reason,
    ADD CONSTRAINT ledger_known_reason CHECK (reason IN ('order', 'cancel', 'return', 'manual'));

-- Returns of shipped units: requested by the customer (then received or
-- rejected by staff), or created received by staff.
CREATE TABLE returns (
    return_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id INT NOT NULL,
    status VARCHAR(16) CHARACTER SET ascii NOT NULL,
    restock BOOLEAN NOT NULL,
    reason VARCHAR(500) NULL,
    requested_by_customer BOOLEAN NOT NULL,
    -- The Idempotency-Key it was created with (compared exactly, per order),
    -- and the digest of that request.
    idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    request_fingerprint CHAR(64) CHARACTER SET ascii NULL,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    INDEX returns_by_order (order_id, return_id),
    UNIQUE INDEX returns_key (order_id, idempotency_key),
    CONSTRAINT returns_keyed CHECK ((idempotency_key IS NULL) = (request_fingerprint IS NULL)),
    INDEX returns_by_status (status, return_id),
    CONSTRAINT returns_known_status CHECK (status IN ('requested', 'received', 'rejected'))
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The lines of a return, in the order's line order (item_id order).
CREATE TABLE return_items (
    item_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    return_id BIGINT NOT NULL,
    product_id INT NOT NULL,
    quantity INT NOT NULL,
    INDEX return_items_by_return (return_id, item_id),
    CONSTRAINT return_items_return FOREIGN KEY (return_id)
        REFERENCES returns (return_id) ON DELETE CASCADE,
    CONSTRAINT return_items_quantity_positive CHECK (quantity > 0)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Each step that took units off an order: a cancellation (of some units, or
-- of the whole order) or a received return, with the earned points it revoked.
CREATE TABLE releases (
    release_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id INT NOT NULL,
    cause VARCHAR(16) CHARACTER SET ascii NOT NULL,
    return_id BIGINT NULL,
    -- Whether its units went back to stock (always for a cancellation).
    restocked BOOLEAN NOT NULL,
    points_revoked BIGINT UNSIGNED NOT NULL DEFAULT 0,
    created_at DATETIME(6) NOT NULL,
    INDEX releases_by_order (order_id, release_id),
    CONSTRAINT releases_return FOREIGN KEY (return_id) REFERENCES returns (return_id),
    CONSTRAINT releases_known_cause CHECK (cause IN ('cancellation', 'return')),
    CONSTRAINT releases_return_named CHECK ((cause = 'return') = (return_id IS NOT NULL))
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- What each line gave up in a release: units, net money, tax, redeemed points.
CREATE TABLE release_items (
    item_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    release_id BIGINT NOT NULL,
    product_id INT NOT NULL,
    quantity INT NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    tax DECIMAL(12,2) NOT NULL,
    points BIGINT UNSIGNED NOT NULL DEFAULT 0,
    INDEX release_items_by_release (release_id, item_id),
    CONSTRAINT release_items_release FOREIGN KEY (release_id)
        REFERENCES releases (release_id) ON DELETE CASCADE,
    CONSTRAINT release_items_quantity_positive CHECK (quantity > 0),
    CONSTRAINT release_items_money_not_negative CHECK (amount >= 0 AND tax >= 0)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- Money paid back: for cancelled units, for a received return, or goodwill.
CREATE TABLE refunds (
    refund_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id INT NOT NULL,
    kind VARCHAR(16) CHARACTER SET ascii NOT NULL,
    return_id BIGINT NULL,
    -- Money and tax together; `tax` is its tax part.
    amount DECIMAL(12,2) NOT NULL,
    tax DECIMAL(12,2) NOT NULL,
    points_returned BIGINT UNSIGNED NOT NULL DEFAULT 0,
    reason VARCHAR(500) NULL,
    -- A goodwill refund's Idempotency-Key (per order) and request digest.
    idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
    request_fingerprint CHAR(64) CHARACTER SET ascii NULL,
    created_at DATETIME(6) NOT NULL,
    INDEX refunds_by_order (order_id, refund_id),
    UNIQUE INDEX refunds_key (order_id, idempotency_key),
    CONSTRAINT refunds_keyed CHECK ((idempotency_key IS NULL) = (request_fingerprint IS NULL)),
    CONSTRAINT refunds_return FOREIGN KEY (return_id) REFERENCES returns (return_id),
    CONSTRAINT refunds_known_kind CHECK (kind IN ('cancellation', 'return', 'goodwill')),
    CONSTRAINT refunds_return_named CHECK ((kind = 'return') = (return_id IS NOT NULL)),
    CONSTRAINT refunds_amount_positive CHECK (amount > 0 AND tax >= 0 AND tax <= amount)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The part of a refund paid back for one line's units (none for goodwill).
CREATE TABLE refund_items (
    item_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    refund_id BIGINT NOT NULL,
    product_id INT NOT NULL,
    quantity INT NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    tax DECIMAL(12,2) NOT NULL,
    INDEX refund_items_by_refund (refund_id, item_id),
    CONSTRAINT refund_items_refund FOREIGN KEY (refund_id)
        REFERENCES refunds (refund_id) ON DELETE CASCADE,
    CONSTRAINT refund_items_quantity_positive CHECK (quantity > 0),
    CONSTRAINT refund_items_money CHECK (amount >= 0 AND tax >= 0 AND tax <= amount)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The part of a refund paid back through one payment.
CREATE TABLE refund_parts (
    part_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    refund_id BIGINT NOT NULL,
    payment_id BIGINT NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    INDEX refund_parts_by_refund (refund_id, part_id),
    CONSTRAINT refund_parts_refund FOREIGN KEY (refund_id)
        REFERENCES refunds (refund_id) ON DELETE CASCADE,
    CONSTRAINT refund_parts_payment FOREIGN KEY (payment_id) REFERENCES payments (payment_id),
    CONSTRAINT refund_parts_amount_positive CHECK (amount > 0)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
