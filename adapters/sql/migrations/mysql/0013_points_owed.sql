-- A cancel revokes every point its order earned, even points already spent:
-- a customer's balance may then go below zero (points owed, repaid by later
-- earnings). Only stock balances stay at least zero in the ledger.
-- (customers.loyalty_points is a signed BIGINT since migration 2.)
ALTER TABLE ledger_entries
    DROP CONSTRAINT ledger_balance_not_negative,
    ADD CONSTRAINT ledger_stock_not_negative CHECK (product_id IS NULL OR balance_after >= 0);
