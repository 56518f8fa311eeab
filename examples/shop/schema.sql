-- Shop: the schema of a small e-commerce service (PostgreSQL 16).
-- The same schema is built step by step by migrations/.

CREATE EXTENSION IF NOT EXISTS citext;

-- Keeps updated_at columns true on every UPDATE path.
CREATE FUNCTION set_updated_at() RETURNS trigger
    LANGUAGE plpgsql
AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END
$$;

CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'delivered', 'cancelled', 'refunded');

CREATE TABLE users (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email         citext NOT NULL UNIQUE,
    password_hash text NOT NULL,
    display_name  text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    deleted_at    timestamptz
);

CREATE TRIGGER users_set_updated_at BEFORE UPDATE ON users
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE profiles (
    user_id    bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    bio        text,
    avatar_url text,
    birth_date date,
    marketing_opt_in boolean NOT NULL DEFAULT false
);

CREATE TABLE addresses (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id     bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    line1       text NOT NULL,
    line2       text,
    city        text NOT NULL,
    postal_code text NOT NULL,
    country     text NOT NULL CHECK (country ~ '^[A-Z]{2}$'),
    is_default  boolean NOT NULL DEFAULT false
);

CREATE INDEX addresses_user_id_idx ON addresses (user_id);

CREATE TABLE categories (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    parent_id bigint REFERENCES categories (id),
    slug      text NOT NULL,
    name      text NOT NULL,
    UNIQUE (parent_id, slug)
);

CREATE TABLE products (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    sku         text NOT NULL UNIQUE,
    name        varchar(255) NOT NULL,
    description text,
    price       numeric(12,2) NOT NULL CHECK (price >= 0),
    attributes  jsonb NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE product_categories (
    product_id  bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    category_id bigint NOT NULL REFERENCES categories (id),
    PRIMARY KEY (product_id, category_id)
);

CREATE INDEX product_categories_category_id_idx ON product_categories (category_id);

CREATE TABLE inventory (
    product_id bigint PRIMARY KEY REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity >= 0),
    reserved   integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER inventory_set_updated_at BEFORE UPDATE ON inventory
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();

CREATE TABLE carts (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    user_id    bigint REFERENCES users (id) ON DELETE CASCADE,
    created_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX carts_user_id_idx ON carts (user_id);

CREATE TABLE cart_items (
    cart_id    bigint NOT NULL REFERENCES carts (id) ON DELETE CASCADE,
    product_id bigint NOT NULL REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity > 0),
    PRIMARY KEY (cart_id, product_id)
);

CREATE INDEX cart_items_product_id_idx ON cart_items (product_id);

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

CREATE TABLE payments (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id    bigint NOT NULL REFERENCES orders (id),
    provider    text NOT NULL,
    amount      double precision NOT NULL,
    card_number text,
    captured_at timestamptz
);

CREATE INDEX payments_order_id_idx ON payments (order_id);

CREATE TABLE reviews (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    product_id bigint NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    user_id    bigint NOT NULL REFERENCES users (id),
    rating     smallint NOT NULL CHECK (rating BETWEEN 1 AND 5),
    body       text,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (user_id, product_id)
);

CREATE INDEX reviews_product_id_idx ON reviews (product_id);
CREATE INDEX reviews_product_id_created_at_idx ON reviews (product_id, created_at);

CREATE TABLE coupons (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    percent_off smallint NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
    valid_until timestamptz
);

CREATE TABLE audit_log (
    table_name text NOT NULL,
    row_id     bigint NOT NULL,
    action     text NOT NULL,
    changes    json,
    changed_by bigint REFERENCES users (id),
    changed_at timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX audit_log_changed_by_idx ON audit_log (changed_by);

GRANT SELECT ON products, categories, product_categories TO PUBLIC;
