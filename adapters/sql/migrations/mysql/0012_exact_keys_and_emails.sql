-- Emails and idempotency keys are compared byte for byte, as on every other
-- store. Under utf8mb4_unicode_ci the server folded what shopcore keeps
-- apart: `IDEM-fa22` replayed the order of `idem-FA22`, and `ａlice@…`
-- (full-width), `alicé@…` were "already registered" as `alice@…`.
-- shopcore writes every email in one normal form (trimmed, lower-cased,
-- Unicode NFC: shopcore::Email) and every idempotency key as given, so a
-- binary collation compares exactly what core compares.
--
-- Existing rows. Under the old collation the unique keys were coarser than
-- the new ones, so no existing rows can collide when the collation changes
-- (case-differing keys of one customer, or emails equal but for case or
-- accents, could not both exist). Emails are then brought to the normal form
-- as far as SQL can: surrounding spaces trimmed and lower-cased (rows written
-- by the original services may hold `Sara@Example.com`) — unless another row
-- has or would get that same form (possible only through a leading space:
-- ` bob@x.com` beside `Bob@x.com`), in which case those rows are left as
-- stored: readable by id, but they log in only once an administrator has
-- corrected them. SQL cannot apply NFC: a non-ASCII address
-- stored decomposed by another writer is left as stored and is found by its
-- NFC spelling only once corrected. To review such rows:
--   SELECT customer_id, email FROM customers WHERE email REGEXP '[^ -~]';
-- Writers other than shopcore should store emails in the normal form.

ALTER TABLE customers
    MODIFY COLUMN email VARCHAR(254) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;
ALTER TABLE idempotency_keys
    MODIFY COLUMN idempotency_key VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL;

UPDATE customers
    SET email = LOWER(TRIM(email))
    WHERE email <> LOWER(TRIM(email))
      AND NOT EXISTS (
          SELECT 1 FROM (SELECT customer_id, email FROM customers) AS other
          WHERE other.customer_id <> customers.customer_id
            AND LOWER(TRIM(other.email)) = LOWER(TRIM(customers.email)));
