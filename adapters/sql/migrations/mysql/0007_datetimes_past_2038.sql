-- Every shopcore time becomes DATETIME(6) in UTC instead of TIMESTAMP, whose
-- range ends at 2038-01-19 03:14:07 UTC. The adapter's connections use time
-- zone +00:00, so the conversion keeps each stored instant as the same UTC
-- value (microseconds from now on). Columns the original services fill by
-- default keep a default; it is the server session's clock, as it was.

ALTER TABLE customers MODIFY COLUMN created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
ALTER TABLE inventory MODIFY COLUMN last_updated DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
ALTER TABLE orders MODIFY COLUMN created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
ALTER TABLE notification_log MODIFY COLUMN sent_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
ALTER TABLE idempotency_keys MODIFY COLUMN created_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
ALTER TABLE ledger_entries MODIFY COLUMN recorded_at DATETIME(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6);
