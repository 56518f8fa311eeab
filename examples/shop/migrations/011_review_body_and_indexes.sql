ALTER TABLE reviews RENAME COLUMN comment TO body;

CREATE INDEX reviews_product_id_idx ON reviews (product_id);
CREATE INDEX reviews_product_id_created_at_idx ON reviews (product_id, created_at);
