-- Customer authentication (3-D Secure): an order waits in PAYMENT_ACTION_REQUIRED, keeping
-- what the processor asks of the customer, until a webhook settles the payment or it expires.

ALTER TABLE orders DROP CONSTRAINT orders_status_check;
ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN ('PENDING', 'RESERVED', 'PAYMENT_ACTION_REQUIRED', 'CONFIRMED', 'CANCELLED'));
ALTER TABLE orders ADD COLUMN payment_action jsonb;

-- The expiry sweep: the orders still waiting, oldest first.
CREATE INDEX orders_waiting_for_action ON orders (updated_at)
    WHERE status = 'PAYMENT_ACTION_REQUIRED';
