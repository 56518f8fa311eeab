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
