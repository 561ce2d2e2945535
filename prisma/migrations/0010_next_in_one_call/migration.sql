-- The lease step of /next in one call (src/consumers/delivery.ts, DELIVERY.md): the same
-- statements the server sent one by one inside BEGIN … COMMIT, in the same order, each with its
-- own snapshot (a plpgsql function takes one per statement), so the consumer's cursor row is
-- locked for the time the statements take instead of 6 network round trips and the JavaScript
-- in between. Rows: 'dead' (dead-lettered now, only keys and deliver_count), then 'leased'
-- (redeliveries, then new leases, each group in updated_idx order).
CREATE OR REPLACE FUNCTION syncline_next_messages(
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
  data jsonb,
  deleted boolean,
  upstream_created_at timestamptz,
  upstream_updated_at timestamptz,
  ack_token uuid,
  deliver_count integer
) LANGUAGE plpgsql
-- Planned for the call's own values, as the statements were when sent from the server: a generic
-- plan does not know the scan's LIMIT or the cursor (DELIVERY.md, the scale figure).
SET plan_cache_mode = force_custom_plan
AS $$
#variable_conflict use_column
DECLARE
  v_cursor bigint;
  v_redelivered integer;
  v_room integer;
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
    RETURNING 'dead'::text, l.sync_id, l.collection_id, l.upstream_id, NULL::bigint, NULL::jsonb, NULL::boolean,
      NULL::timestamptz, NULL::timestamptz, NULL::uuid, l.deliver_count;
  END IF;

  -- Expired leases, redelivered with the record's latest version and a new token.
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
  SELECT 'leased'::text, x.sync_id, x.collection_id, x.upstream_id, x.updated_idx, x.data, x.deleted, x.upstream_created_at,
    x.upstream_updated_at, x.ack_token, x.deliver_count
  FROM leased x ORDER BY x.updated_idx;
  GET DIAGNOSTICS v_redelivered = ROW_COUNT;

  v_room := p_batch_size - v_redelivered;
  IF v_room <= 0 THEN
    RETURN;
  END IF;

  -- Records past the cursor fill the batch, up to max_ack_pending live leases in all. A record
  -- whose key has a live lease is passed over: its new version follows the ack (or the expiry).
  -- The cursor moves past every record scanned.
  RETURN QUERY
  WITH scanned AS (
    SELECT r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, r.data, r.deleted, r.upstream_created_at, r.upstream_updated_at
    FROM records r
    WHERE r.stream_id = p_stream_id AND r.updated_idx > v_cursor
      AND (p_sync_id IS NULL OR r.sync_id = p_sync_id) AND (p_collection_ids IS NULL OR r.collection_id = ANY(p_collection_ids))
    ORDER BY r.updated_idx LIMIT v_room
  ), candidates AS (
    SELECT * FROM scanned s ORDER BY s.updated_idx
    LIMIT GREATEST(0, p_max_ack_pending - (SELECT count(*) FROM consumer_leases k WHERE k.consumer_id = p_consumer_id AND NOT k.dead))
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
  )
  SELECT 'leased'::text, c.sync_id, c.collection_id, c.upstream_id, c.updated_idx, c.data, c.deleted, c.upstream_created_at,
    c.upstream_updated_at, l.ack_token, l.deliver_count
  FROM candidates c JOIN leased l ON l.sync_id = c.sync_id AND l.collection_id = c.collection_id AND l.upstream_id = c.upstream_id
  ORDER BY c.updated_idx;
END;
$$;
