-- The catalog's prices as the orders service knows them: the read model that placement prices
-- from (ecommerce.orders.prices), fed by the catalog's ProductChanged events and a periodic
-- full resync from its product list.

CREATE TABLE product_prices (
    product_id  text PRIMARY KEY,
    amount      bigint CHECK (amount >= 0),
    currency    char(3),
    deleted     boolean     NOT NULL DEFAULT false,
    changed_at  timestamptz NOT NULL,  -- when the catalog made the change: orders the changes
    synced_at   timestamptz NOT NULL DEFAULT clock_timestamp(),  -- when this row last changed
    CHECK (deleted OR (amount IS NOT NULL AND currency IS NOT NULL))
);

CREATE INDEX product_prices_by_sync ON product_prices (synced_at);

-- When each read model was last resynced in full; a frontend is ready once its model has been.
CREATE TABLE read_model_syncs (
    name       text PRIMARY KEY,
    synced_at  timestamptz NOT NULL
);
