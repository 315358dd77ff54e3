-- Catalog administration: products can be retired (no longer quoted or
-- ordered; their orders keep their prices), and every product, ladder and tax
-- change is logged with who made it and the values before and after (JSON),
-- in the same transaction as the change.

ALTER TABLE inventory ADD COLUMN retired BOOLEAN NOT NULL DEFAULT FALSE;

CREATE TABLE catalog_changes (
    change_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
    changed_at DATETIME(6) NOT NULL,
    -- anonymous (legacy mode), customer or staff; the customer or staff key id.
    actor_kind VARCHAR(16) NOT NULL,
    actor_id BIGINT NULL,
    actor_role VARCHAR(20) NULL,
    -- product, ladder or tax_rate; the product or the region it is about.
    subject VARCHAR(16) NOT NULL,
    product_id INT NULL,
    region VARCHAR(50) NULL,
    before_value LONGTEXT NULL,
    after_value LONGTEXT NULL,
    CONSTRAINT catalog_changes_known_actor CHECK (actor_kind IN ('anonymous', 'customer', 'staff')),
    CONSTRAINT catalog_changes_known_subject CHECK (subject IN ('product', 'ladder', 'tax_rate')),
    CONSTRAINT catalog_changes_names_its_subject CHECK (
        (subject = 'tax_rate' AND region IS NOT NULL AND product_id IS NULL)
        OR (subject <> 'tax_rate' AND product_id IS NOT NULL AND region IS NULL)),
    CONSTRAINT catalog_changes_before_is_json CHECK (before_value IS NULL OR JSON_VALID(before_value)),
    CONSTRAINT catalog_changes_after_is_json CHECK (after_value IS NULL OR JSON_VALID(after_value)),
    CONSTRAINT catalog_changes_changes_something CHECK (before_value IS NOT NULL OR after_value IS NOT NULL)
) DEFAULT CHARSET = utf8mb4 COLLATE = utf8mb4_unicode_ci;
