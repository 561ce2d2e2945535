-- Lease counts that stay cheap on a busy consumer, and /next's counts in the same call.
--
-- `consumer_leases` is a queue table: every /next inserts a row per message and every /ack
-- deletes it, so between two (auto)vacuums it holds up to hundreds of thousands of dead rows. A
-- bitmap scan (what the planner picks for "all leases of a consumer") visits every one of them,
-- each time: counting went from 0.1 ms to 24 ms over one 100,000-message drain (npm run bench).
-- A plain index scan marks the dead entries it meets as killed, so the next scan skips them:
-- each count then only pays for the rows that died since the previous one.
CREATE INDEX consumer_leases_dead_idx ON consumer_leases(consumer_id) WHERE dead;

CREATE OR REPLACE FUNCTION syncline_lease_counts(p_consumer_id uuid)
RETURNS TABLE (waiting bigint, ack_pending bigint, dead bigint)
LANGUAGE sql STABLE
SET enable_bitmapscan = off
SET enable_seqscan = off
AS $$
  SELECT
    count(*) FILTER (WHERE l.deliver_count = 0),
    count(*) FILTER (WHERE l.deliver_count > 0),
    (SELECT count(*) FROM consumer_leases d WHERE d.consumer_id = p_consumer_id AND d.dead)
  FROM consumer_leases l
  WHERE l.consumer_id = p_consumer_id AND NOT l.dead
$$;

-- Records past a cursor, counted up to p_cap (NULL: all of them); beyond the cap the number of
-- versions appended to the stream after the cursor, an upper bound (DELIVERY.md, counts).
CREATE OR REPLACE FUNCTION syncline_pending_records(
  p_stream_id uuid, p_sync_id uuid, p_collection_ids text[], p_cursor bigint, p_cap integer
) RETURNS bigint
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
  v_counted bigint;
  v_appended bigint;
BEGIN
  SELECT count(*) INTO v_counted FROM (
    SELECT 1 FROM records r
    WHERE r.stream_id = p_stream_id AND r.updated_idx > p_cursor
      AND (p_sync_id IS NULL OR r.sync_id = p_sync_id) AND (p_collection_ids IS NULL OR r.collection_id = ANY(p_collection_ids))
    LIMIT p_cap
  ) past;
  IF p_cap IS NULL OR v_counted < p_cap THEN
    RETURN v_counted;
  END IF;
  SELECT h.last_idx - p_cursor INTO v_appended FROM stream_heads h WHERE h.stream_id = p_stream_id;
  RETURN GREATEST(v_counted, COALESCE(v_appended, 0));
END;
$$;

-- A delivered message as the JSON text /next answers, `{"ack_token":…,"record":{…}}` with the
-- record shape of DESIGN.md §2 (the same keys, in the same order, as presentRecordRow), built here
-- so that a batch of records is not parsed and serialized again by the server. Inlined by the
-- planner (one SQL expression).
CREATE OR REPLACE FUNCTION syncline_message_json(
  p_ack_token uuid, p_sync_id uuid, p_collection_id text, p_upstream_id text, p_updated_idx bigint,
  p_upstream_created_at timestamptz, p_upstream_updated_at timestamptz, p_deleted boolean, p_data jsonb
) RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT concat(
    '{"ack_token":"', p_ack_token, '","record":{"sync_id":"', p_sync_id,
    '","collection_id":', to_json(p_collection_id), ',"upstream_id":', to_json(p_upstream_id),
    ',"updated_idx":', p_updated_idx,
    ',"upstream_created_at":', COALESCE(to_json(to_char(p_upstream_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null'),
    ',"upstream_updated_at":', COALESCE(to_json(to_char(p_upstream_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null'),
    ',"deleted":', CASE WHEN p_deleted THEN 'true' ELSE 'false' END,
    ',"data":', p_data::text, '}}')
$$;

-- /next: the lease step of migration 0010, then the consumer's lease counts, in one call. The last
-- row has kind 'counts': the cursor after this call (updated_idx), num_waiting (new versions due
-- behind an ack), num_ack_pending, num_dead; every other column NULL. The live
-- lease count for max_ack_pending uses syncline_lease_counts (see above).
DROP FUNCTION IF EXISTS syncline_next_messages(uuid, uuid, text[], uuid, integer, integer, integer, integer);
DROP FUNCTION IF EXISTS syncline_next_messages(uuid, uuid, text[], uuid, integer, integer, integer, integer, integer);
CREATE FUNCTION syncline_next_messages(
  p_consumer_id uuid,
  p_sync_id uuid,
  p_collection_ids text[],
  p_stream_id uuid,
  p_batch_size integer,
  p_ack_wait_ms integer,
  p_max_deliver integer,
  p_max_ack_pending integer
) RETURNS TABLE (
  kind text,
  sync_id uuid,
  collection_id text,
  upstream_id text,
  updated_idx bigint,
  message text,
  ack_token uuid,
  deliver_count integer,
  num_waiting bigint,
  num_ack_pending bigint,
  num_dead bigint
) LANGUAGE plpgsql
-- Planned for the call's own values, as the statements were when sent from the server: a generic
-- plan does not know the scan's LIMIT or the cursor (DELIVERY.md, the scale figure).
SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
  v_cursor bigint;
  v_redelivered integer := 0;
  v_room integer;
  v_live bigint;
  v_counts record;
BEGIN
  -- Serializes concurrent callers of one consumer: no record is leased twice while its lease is live.
  SELECT c.cursor INTO v_cursor FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  IF p_max_deliver <> -1 THEN
    RETURN QUERY
    UPDATE consumer_leases l SET dead = true, dead_at = now()
    WHERE l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline <= now() AND l.deliver_count >= p_max_deliver
    RETURNING 'dead'::text, l.sync_id, l.collection_id, l.upstream_id, NULL::bigint, NULL::text, NULL::uuid, l.deliver_count,
      NULL::bigint, NULL::bigint, NULL::bigint;
  END IF;

  -- A due lease whose record's latest version is past the cursor is dropped, not redelivered: the
  -- cursor will deliver that version when it gets there (the key has no live lease any more).
  -- Redelivering it here let the cursor deliver it a second time after its ack (found by the
  -- crash part of the reliability suite). So every lease's version stays at or behind the cursor.
  DELETE FROM consumer_leases l USING records r
  WHERE l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline <= now()
    AND r.sync_id = l.sync_id AND r.collection_id = l.collection_id AND r.upstream_id = l.upstream_id
    AND r.updated_idx > v_cursor;

  -- Other expired leases, redelivered with the record's latest version and a new token.
  RETURN QUERY
  WITH due AS (
    SELECT d.sync_id, d.collection_id, d.upstream_id FROM consumer_leases d
    WHERE d.consumer_id = p_consumer_id AND NOT d.dead AND d.deadline <= now()
    ORDER BY d.deadline, d.updated_idx LIMIT p_batch_size
  ), leased AS (
    UPDATE consumer_leases l SET deliver_count = l.deliver_count + 1, ack_token = gen_random_uuid(),
      deadline = now() + make_interval(secs => p_ack_wait_ms::double precision / 1000), updated_idx = r.updated_idx
    FROM due, records r
    WHERE l.consumer_id = p_consumer_id AND l.sync_id = due.sync_id AND l.collection_id = due.collection_id AND l.upstream_id = due.upstream_id
      AND NOT l.dead AND l.deadline <= now()
      AND r.sync_id = l.sync_id AND r.collection_id = l.collection_id AND r.upstream_id = l.upstream_id
    RETURNING l.sync_id, l.collection_id, l.upstream_id, r.updated_idx, r.data, r.deleted, r.upstream_created_at, r.upstream_updated_at,
      l.ack_token, l.deliver_count
  )
  SELECT 'leased'::text, x.sync_id, x.collection_id, x.upstream_id, x.updated_idx,
    syncline_message_json(x.ack_token, x.sync_id, x.collection_id, x.upstream_id, x.updated_idx, x.upstream_created_at, x.upstream_updated_at, x.deleted, x.data),
    x.ack_token, x.deliver_count, NULL::bigint, NULL::bigint, NULL::bigint
  FROM leased x ORDER BY x.updated_idx;
  GET DIAGNOSTICS v_redelivered = ROW_COUNT;

  v_room := p_batch_size - v_redelivered;
  IF v_room > 0 THEN
    SELECT lc.waiting + lc.ack_pending INTO v_live FROM syncline_lease_counts(p_consumer_id) lc;
    v_room := LEAST(v_room, GREATEST(0, p_max_ack_pending - v_live))::integer;
  END IF;

  -- Records past the cursor fill the batch, up to max_ack_pending live leases in all. A record
  -- whose key has a live lease is passed over: its new version follows the ack (or the expiry).
  -- The cursor moves past every record scanned.
  IF v_room > 0 THEN
    RETURN QUERY
    WITH candidates AS (
      SELECT r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, r.data, r.deleted, r.upstream_created_at, r.upstream_updated_at
      FROM records r
      WHERE r.stream_id = p_stream_id AND r.updated_idx > v_cursor
        AND (p_sync_id IS NULL OR r.sync_id = p_sync_id) AND (p_collection_ids IS NULL OR r.collection_id = ANY(p_collection_ids))
      ORDER BY r.updated_idx LIMIT v_room
    ), leased AS (
      INSERT INTO consumer_leases AS cl (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
      SELECT p_consumer_id, c.sync_id, c.collection_id, c.upstream_id, c.updated_idx, gen_random_uuid(), 1,
        now() + make_interval(secs => p_ack_wait_ms::double precision / 1000)
      FROM candidates c
      ON CONFLICT ON CONSTRAINT consumer_leases_pkey DO UPDATE
        SET updated_idx = EXCLUDED.updated_idx, ack_token = EXCLUDED.ack_token, deliver_count = 1, deadline = EXCLUDED.deadline, dead = false, dead_at = NULL
        WHERE cl.dead
      RETURNING cl.sync_id, cl.collection_id, cl.upstream_id, cl.ack_token, cl.deliver_count
    ), moved AS (
      UPDATE consumer_cursors m SET cursor = (SELECT max(c.updated_idx) FROM candidates c)
      WHERE m.consumer_id = p_consumer_id AND EXISTS (SELECT 1 FROM candidates)
      RETURNING m.cursor
    )
    SELECT 'leased'::text, c.sync_id, c.collection_id, c.upstream_id, c.updated_idx,
      syncline_message_json(l.ack_token, c.sync_id, c.collection_id, c.upstream_id, c.updated_idx, c.upstream_created_at, c.upstream_updated_at, c.deleted, c.data),
      l.ack_token, l.deliver_count, NULL::bigint, NULL::bigint, NULL::bigint
    FROM candidates c JOIN leased l ON l.sync_id = c.sync_id AND l.collection_id = c.collection_id AND l.upstream_id = c.upstream_id
    ORDER BY c.updated_idx;
    SELECT c.cursor INTO v_cursor FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id;
  END IF;

  -- The records past the cursor are counted by the caller after this commits (syncline_pending_records):
  -- that scan needs no lock, and 4 workers of one consumer would otherwise wait for it in turn.
  SELECT * INTO v_counts FROM syncline_lease_counts(p_consumer_id);
  RETURN QUERY SELECT 'counts'::text, NULL::uuid, NULL::text, NULL::text, v_cursor, NULL::text, NULL::uuid, NULL::integer,
    v_counts.waiting, v_counts.ack_pending, v_counts.dead;
END;
$$;
