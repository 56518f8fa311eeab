CREATE TABLE inventory (
    product_id bigint PRIMARY KEY REFERENCES products (id),
    quantity   integer NOT NULL CHECK (quantity >= 0),
    reserved   integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TRIGGER inventory_set_updated_at BEFORE UPDATE ON inventory
    FOR EACH ROW EXECUTE FUNCTION set_updated_at();
