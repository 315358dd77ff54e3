-- The throttles' counts (shopcore::ThrottleRepository), shared by every
-- process and host on this database: one row per counted subject (failed
-- logins for one email from one address, for one email, from one address;
-- registrations and failed coupon lookups from one address), keyed by the
-- SHA-256 (hex) of what it counts, so no email or address is stored as such.
-- A row counts `attempts` until `window_ends`, then nothing; such rows are
-- pruned as new ones are added, so the table cannot grow without bound.

CREATE TABLE throttle_counts (
    throttle_key CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
    attempts INT UNSIGNED NOT NULL,
    window_ends DATETIME(6) NOT NULL,
    last_at DATETIME(6) NOT NULL,
    INDEX throttle_counts_by_window_end (window_ends)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
