-- After the order: its payments (authorized, captured, voided), the money
-- ledger they write, and its shipments. An order's payment and fulfillment
-- statuses are derived from these rows, never stored apart from them.
--
-- Galera: every write that settles an order (a payment recorded, captured or
-- voided, a shipment, a cancel) also UPDATEs the order's own row — its
-- status, or `settlement_version`, a counter nothing reads. Galera does not
-- replicate the row locks of `SELECT … FOR UPDATE`: two nodes can each lock
-- "the same" order locally, each read its payments, and each insert a payment
-- that alone fits the balance. Rows they insert have different keys, so
-- without a write to one common row both write sets would pass certification
-- and both payments would commit. With it, the second to certify conflicts
-- on the `orders` row and is rolled back (a deadlock error, rerun by the
-- adapter, which then decides from the first one's payment). On a single
-- server the `FOR UPDATE` lock alone already serialises them.

ALTER TABLE orders
    -- What a cancellation owes back: everything captured when it was cancelled.
    ADD COLUMN refund_due DECIMAL(12,2) NOT NULL DEFAULT 0.00,
    -- Bumped by every settlement write (see above); never read for a decision.
    ADD COLUMN settlement_version BIGINT UNSIGNED NOT NULL DEFAULT 0,
    ADD CONSTRAINT orders_refund_due_not_negative CHECK (refund_due >= 0);

CREATE TABLE payments (
    payment_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id INT NOT NULL,
    method VARCHAR(40) NOT NULL,
    -- The provider's reference, the payment's idempotency key within its
    -- order: printable ASCII, compared byte for byte (`pi_A` is not `pi_a`).
    reference VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    status VARCHAR(16) CHARACTER SET ascii NOT NULL,
    amount_captured DECIMAL(12,2) NOT NULL DEFAULT 0.00,
    created_at DATETIME(6) NOT NULL,
    updated_at DATETIME(6) NOT NULL,
    UNIQUE KEY payments_reference_per_order (order_id, reference),
    CONSTRAINT payments_known_status CHECK (status IN ('authorized', 'captured', 'voided')),
    CONSTRAINT payments_amount_positive CHECK (amount > 0),
    CONSTRAINT payments_captured_within_amount CHECK (
        amount_captured >= 0 AND amount_captured <= amount
        AND (status = 'captured' OR amount_captured = 0))
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The money ledger: one row per movement of an order's money, with the
-- balances it leaves (authorized and not captured; captured), in write order.
CREATE TABLE payment_ledger (
    entry_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id INT NOT NULL,
    payment_id BIGINT NOT NULL,
    kind VARCHAR(16) CHARACTER SET ascii NOT NULL,
    amount DECIMAL(12,2) NOT NULL,
    authorized_after DECIMAL(12,2) NOT NULL,
    captured_after DECIMAL(12,2) NOT NULL,
    created_at DATETIME(6) NOT NULL,
    INDEX payment_ledger_by_order (order_id, entry_id),
    CONSTRAINT payment_ledger_payment FOREIGN KEY (payment_id) REFERENCES payments (payment_id),
    CONSTRAINT payment_ledger_known_kind CHECK (kind IN ('authorized', 'captured', 'released')),
    CONSTRAINT payment_ledger_amount_positive CHECK (amount > 0),
    CONSTRAINT payment_ledger_balances_not_negative CHECK (authorized_after >= 0 AND captured_after >= 0)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE fulfillments (
    fulfillment_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    order_id INT NOT NULL,
    carrier VARCHAR(100) NULL,
    tracking_number VARCHAR(100) CHARACTER SET ascii COLLATE ascii_general_ci NULL,
    created_at DATETIME(6) NOT NULL,
    INDEX fulfillments_by_order (order_id, fulfillment_id)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

-- The lines of a shipment, in the order's line order (item_id order).
CREATE TABLE fulfillment_items (
    item_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    fulfillment_id BIGINT NOT NULL,
    product_id INT NOT NULL,
    quantity INT NOT NULL,
    INDEX fulfillment_items_by_fulfillment (fulfillment_id, item_id),
    CONSTRAINT fulfillment_items_fulfillment FOREIGN KEY (fulfillment_id)
        REFERENCES fulfillments (fulfillment_id) ON DELETE CASCADE,
    CONSTRAINT fulfillment_items_quantity_positive CHECK (quantity > 0)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
