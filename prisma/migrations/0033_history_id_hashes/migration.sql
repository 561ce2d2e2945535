-- Delivery-history rows carry 64-bit hashes of their messages' upstream ids instead of the ids
-- (DELIVERY.md, "Delivery history"). A flush's history rows were a third of the history's cost
-- per message in `npm run bench`, consume: each row's id array, TOASTed text, and a text GIN
-- entry per message. A hash is 8 bytes inline and compares as an integer; a lookup by id finds
-- the rows of its hash and keeps the events' messages of that id (queries/http-consumers.ts), so
-- a collision costs a row read, never a wrong answer. hashtextextended is the function hash
-- partitioning relies on, so its values stay across PostgreSQL upgrades.
ALTER TABLE consumer_message_events ADD COLUMN upstream_id_hashes bigint[];
UPDATE consumer_message_events SET upstream_id_hashes = ARRAY(SELECT hashtextextended(u, 0) FROM unnest(upstream_ids) u);
ALTER TABLE consumer_message_events ALTER COLUMN upstream_id_hashes SET NOT NULL;
DROP INDEX consumer_message_events_upstream_ids_idx;
ALTER TABLE consumer_message_events DROP COLUMN upstream_ids;
CREATE INDEX consumer_message_events_upstream_id_hashes_idx ON consumer_message_events USING gin (upstream_id_hashes);
