-- Issue 23, item 4 (DESIGN.md §7b; DELIVERY.md, "Filters and start positions"): every consumer
-- kind takes a provider filter and a start position (`deliver_policy: all | new | by_start_time |
-- by_start_idx`), and `POST /v1/<kind>/{id}/reset` moves it back or ahead.

-- HTTP pull consumers: the provider filter, the start position (the last reset's, else the
-- creation's) and how many resets the consumer had.
ALTER TABLE http_consumers
  ADD COLUMN provider text,
  ADD COLUMN opt_start_time timestamptz(3),
  ADD COLUMN opt_start_idx bigint,
  ADD COLUMN reset_count integer NOT NULL DEFAULT 0;

-- The reset a cursor was last moved by: a reset moves the cursor (and drops the live leases) once,
-- and a replay of the log (rebuild-projections) leaves a cursor that has moved on since alone.
ALTER TABLE consumer_cursors ADD COLUMN reset_count integer NOT NULL DEFAULT 0;

-- NATS consumers: the same filter and start position, and what the sink runner reads to place
-- its position besides `start_idx` (migration 0046): `reset_count` (a reset it has not applied
-- yet moves its position to `start_idx`).
ALTER TABLE nats_consumers
  ADD COLUMN collection_ids text[] NOT NULL DEFAULT '{}',
  ADD COLUMN provider text,
  ADD COLUMN opt_start_time timestamptz(3),
  ADD COLUMN opt_start_idx bigint,
  ADD COLUMN reset_count integer NOT NULL DEFAULT 0;

-- (`start_idx` itself came with migration 0046, filled from the creation events.)

-- The provider filter on delivery and counts: these take it as an argument now (their files in
-- prisma/functions/ create the new versions): syncline_next_messages, syncline_consumer_counts,
-- syncline_pending_past, syncline_pending_records.
DROP FUNCTION syncline_next_messages(uuid, uuid, text[], uuid, integer, integer, integer, integer, bigint);
DROP FUNCTION syncline_consumer_counts(uuid, uuid, uuid, text[], bigint, integer);
DROP FUNCTION syncline_pending_past(uuid, uuid, uuid, text[], bigint, integer);
DROP FUNCTION syncline_pending_records(uuid, uuid, text[], bigint, integer);
