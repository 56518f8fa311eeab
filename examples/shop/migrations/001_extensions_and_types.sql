-- Extensions, shared trigger function, enum types.
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
