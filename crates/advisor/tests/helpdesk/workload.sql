-- The help desk's queries, with how often each runs per hour.

-- The organisation's ticket list, newest first.
-- calls: 200000
SELECT id, subject, status, priority, created_at FROM tickets
WHERE organisation_id = $1 ORDER BY created_at DESC LIMIT 50;

-- Sign-in by e-mail, case-insensitively.
-- calls: 90000
SELECT id, organisation_id, full_name FROM people WHERE lower(email) = lower($1);

-- The open queue of an organisation.
-- calls: 60000
SELECT id, subject, priority, assignee_id FROM tickets
WHERE status = 'open' AND organisation_id = $1 ORDER BY priority DESC, id LIMIT 100;

-- Tickets carrying a custom field value.
-- calls: 8000
SELECT id, subject FROM tickets WHERE custom_fields @> $1::jsonb;

-- Tickets with any of some labels.
-- calls: 6000
SELECT id, subject FROM tickets WHERE labels && $1::text[];

-- Full-text search in messages.
-- calls: 4000
SELECT id, ticket_id FROM messages WHERE body_tsv @@ plainto_tsquery('english', $1);

-- Live agents of an organisation.
-- calls: 30000
SELECT id, full_name FROM people WHERE organisation_id = $1 AND deleted_at IS NULL AND is_agent;

-- A ticket's messages, in order.
-- calls: 150000
SELECT id, author_id, body, created_at FROM messages WHERE ticket_id = $1 ORDER BY created_at;

-- Writes.
-- calls: 20000
INSERT INTO tickets (organisation_id, requester_id, status, priority, subject) VALUES ($1, $2, 'new', 2, $3);
-- calls: 50000
INSERT INTO messages (ticket_id, author_id, body, body_tsv) VALUES ($1, $2, $3, to_tsvector('english', $3));
-- calls: 40000
UPDATE tickets SET status = $2, updated_at = now() WHERE id = $1;
