CREATE TABLE payments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id),
    provider    text NOT NULL,
    amount      double precision NOT NULL,
    card_number text,
    captured_at timestamptz
);

CREATE INDEX payments_order_id_idx ON payments (order_id);
