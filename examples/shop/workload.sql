-- The shop application's queries, with how often each runs per day (`-- calls: N`).
-- `dbarch analyze examples/shop/workload.sql --schema examples/shop/schema.sql`

-- calls: 120000
SELECT id, status, total, placed_at FROM orders WHERE user_id = $1 ORDER BY placed_at DESC LIMIT 20;

-- calls: 90000
SELECT oi.product_id, oi.quantity, p.name
FROM order_items oi JOIN products p ON p.id = oi.product_id
WHERE oi.order_id = $1;

-- calls: 40000
SELECT * FROM products WHERE id = $1;

-- calls: 15000
SELECT id, name, price FROM products WHERE name ILIKE '%' || $1 || '%' OR description LIKE '%gift%';

-- calls: 8000
SELECT id FROM users WHERE lower(display_name) = lower($1);

-- calls: 2000
SELECT id, body, rating FROM reviews WHERE product_id = $1 ORDER BY created_at DESC LIMIT 10 OFFSET 5000;

-- calls: 500
SELECT id FROM addresses WHERE id NOT IN (SELECT shipping_address_id FROM orders);

-- calls: 300
SELECT p.id, c.name FROM products p, categories c WHERE p.price > 100;

-- calls: 100
SELECT id, sku FROM products ORDER BY random() LIMIT 4;

-- calls: 50
UPDATE inventory SET reserved = 0;

-- calls: 50000
UPDATE inventory SET reserved = reserved + $2 WHERE product_id = $1;

-- calls: 30000
INSERT INTO order_items (order_id, product_id, quantity, unit_price) VALUES ($1, $2, $3, $4);

-- calls: 6000
SELECT p.id, p.name, (SELECT count(*) FROM reviews r WHERE r.product_id = p.id) AS reviews
FROM products p WHERE p.price < $1 ORDER BY p.price LIMIT 50;

-- calls: 1200
SELECT DISTINCT u.id, u.email FROM users u JOIN orders o ON o.user_id = u.id WHERE o.placed_at > $1;

-- calls: 25000
SELECT (SELECT count(*) FROM cart_items ci WHERE ci.cart_id = $1) > 0;
