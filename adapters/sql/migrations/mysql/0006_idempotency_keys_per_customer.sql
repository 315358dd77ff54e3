-- Idempotency keys are scoped per customer: one customer's key can neither
-- replay nor block another customer's order. Existing keys take the customer
-- of the order they name.

ALTER TABLE idempotency_keys ADD COLUMN customer_id INT NOT NULL DEFAULT 0 FIRST;
UPDATE idempotency_keys k JOIN orders o ON o.order_id = k.order_id SET k.customer_id = COALESCE(o.customer_id, 0);
ALTER TABLE idempotency_keys DROP PRIMARY KEY, ADD PRIMARY KEY (customer_id, idempotency_key);
