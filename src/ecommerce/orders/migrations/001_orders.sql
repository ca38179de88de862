-- Orders, their history, the inbox of handled events and the transactional outbox.

CREATE TABLE orders (
    id              uuid PRIMARY KEY,
    customer_id     text        NOT NULL,
    status          text        NOT NULL
        CHECK (status IN ('PENDING', 'RESERVED', 'CONFIRMED', 'CANCELLED')),
    reason          text,
    currency        char(3)     NOT NULL,
    total_amount    bigint      NOT NULL CHECK (total_amount >= 0),
    payment_token   text        NOT NULL,
    items           jsonb       NOT NULL,
    version         integer     NOT NULL DEFAULT 1,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL
);

CREATE INDEX orders_by_customer ON orders (customer_id, created_at DESC, id DESC);

CREATE TABLE order_history (
    id          bigserial PRIMARY KEY,
    order_id    uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    from_status text,
    to_status   text        NOT NULL,
    reason      text,
    cause       text        NOT NULL,
    at          timestamptz NOT NULL
);

CREATE INDEX order_history_by_order ON order_history (order_id, id);

-- One row per (customer, Idempotency-Key): a replay returns the stored first response.
CREATE TABLE idempotency_keys (
    customer_id  text        NOT NULL,
    key          text        NOT NULL,
    fingerprint  text        NOT NULL,
    order_id     uuid        NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    response     jsonb       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (customer_id, key)
);

-- The inbox: an event id is handled once, whatever the number of deliveries.
CREATE TABLE processed_events (
    event_id     text PRIMARY KEY,
    event_type   text        NOT NULL,
    order_id     uuid,
    outcome      text        NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    event_type   text        NOT NULL,
    body         text        NOT NULL,
    trace_header text,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    published_at timestamptz,
    attempts     integer     NOT NULL DEFAULT 0
);

CREATE INDEX outbox_unpublished ON outbox (created_at) WHERE published_at IS NULL;
CREATE INDEX outbox_published ON outbox (published_at) WHERE published_at IS NOT NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('outbox', '');
    RETURN NULL;
END;
$$;

CREATE TRIGGER outbox_inserted AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();
