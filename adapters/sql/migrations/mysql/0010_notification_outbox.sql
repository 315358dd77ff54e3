-- The notification log becomes a transactional outbox: each logged
-- notification has one delivery row per channel (the customer's email, and
-- every webhook endpoint subscribed to its event), written in the transaction
-- that logs it. A dispatcher claims due rows (FOR UPDATE SKIP LOCKED), moves
-- next_attempt_at to the end of its lease and counts the attempt, delivers,
-- then records the outcome only if the row is still at that attempt.
-- A notification deleted by hand takes its deliveries with it (ON DELETE CASCADE).
-- Notifications logged before this migration have no deliveries: they were
-- never meant to be sent.

CREATE TABLE webhook_endpoints (
    webhook_id BIGINT AUTO_INCREMENT PRIMARY KEY,
    url VARCHAR(2000) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    -- Comma-separated event names, e.g. 'order.cancelled,order.placed'.
    events VARCHAR(255) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    -- whsec_ + base64: signing needs the secret itself. Never read back out
    -- by a listing; only the dispatcher reads it.
    secret VARCHAR(200) CHARACTER SET ascii COLLATE ascii_general_ci NOT NULL,
    created_at DATETIME(6) NOT NULL,
    deleted_at DATETIME(6) NULL
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE notification_deliveries (
    delivery_id BIGINT AUTO_INCREMENT PRIMARY KEY,
    notification_id INT NOT NULL,
    channel VARCHAR(16) CHARACTER SET ascii NOT NULL,
    webhook_id BIGINT NULL,
    status VARCHAR(16) CHARACTER SET ascii NOT NULL DEFAULT 'pending',
    attempts INT UNSIGNED NOT NULL DEFAULT 0,
    next_attempt_at DATETIME(6) NOT NULL,
    last_error VARCHAR(500) NULL,
    delivered_at DATETIME(6) NULL,
    INDEX deliveries_due (status, next_attempt_at),
    INDEX deliveries_by_notification (notification_id),
    CONSTRAINT deliveries_notification FOREIGN KEY (notification_id)
        REFERENCES notification_log (notification_id) ON DELETE CASCADE,
    CONSTRAINT deliveries_webhook FOREIGN KEY (webhook_id)
        REFERENCES webhook_endpoints (webhook_id),
    CONSTRAINT deliveries_channel CHECK (
        (channel = 'email' AND webhook_id IS NULL) OR (channel = 'webhook' AND webhook_id IS NOT NULL)),
    CONSTRAINT deliveries_status CHECK (status IN ('pending', 'delivered', 'failed'))
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
