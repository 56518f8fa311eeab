CREATE TABLE orders (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id             bigint NOT NULL REFERENCES users (id),
    shipping_address_id bigint REFERENCES addresses (id),
    status              order_status NOT NULL DEFAULT 'pending',
    total               numeric(12,2) NOT NULL,
    placed_at           timestamp NOT NULL DEFAULT now()
);

CREATE INDEX orders_shipping_address_id_idx ON orders (shipping_address_id);
CREATE INDEX orders_status_idx ON orders (status);

CREATE TABLE order_items (
    order_id   bigint NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity > 0),
    unit_price numeric(12,2) NOT NULL,
    PRIMARY KEY (order_id, product_id)
);
