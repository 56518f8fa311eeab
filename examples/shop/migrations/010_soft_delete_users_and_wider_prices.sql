-- Accounts can be closed without losing their orders.
ALTER TABLE users ADD COLUMN deleted_at timestamptz;

-- Prices above 99,999,999.99 are now possible.
ALTER TABLE products ALTER COLUMN price TYPE numeric(12,2);
