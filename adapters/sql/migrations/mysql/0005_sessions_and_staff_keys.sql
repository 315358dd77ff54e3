-- Access control: customer sessions and staff API keys. Only the SHA-256 of a
-- token or key is stored (ASCII, compared byte for byte), never the secret.
-- Times are DATETIME(6) in UTC (the connection's time zone is +00:00): no 2038 limit.

CREATE TABLE sessions (
    token_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    customer_id INT NOT NULL,
    created_at DATETIME(6) NOT NULL,
    expires_at DATETIME(6) NOT NULL,
    revoked_at DATETIME(6) NULL,
    INDEX sessions_by_customer (customer_id)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;

CREATE TABLE staff_keys (
    key_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    name VARCHAR(100) NOT NULL,
    role VARCHAR(20) NOT NULL,
    key_hash CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    created_at DATETIME(6) NOT NULL,
    revoked_at DATETIME(6) NULL,
    CONSTRAINT staff_keys_one_per_secret UNIQUE (key_hash),
    CONSTRAINT staff_keys_known_role CHECK (role IN ('support', 'inventory', 'admin'))
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
