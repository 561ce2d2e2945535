-- /next holds its consumer's cursor lock for less time (DELIVERY.md, HTTP consumers).
--
-- The cursor row lock serializes a consumer's /next calls: with 4 workers, every call waited as
-- long for the lock as it ran (npm run bench, consume). Two things left the locked call:
-- - the messages' JSON (jsonb → text of every record): built after the commit by
--   syncline_delivered_messages, from the record versions the leases name;
-- - the lease counts for the answer's headers: counted after the commit with the pending records
--   (syncline_consumer_counts).
-- And the lease transaction commits without waiting for its WAL flush (synchronous_commit off for
-- it alone): if PostgreSQL itself crashes within that moment, the leases and the cursor move are
-- lost and the messages are delivered again (unacked, so at-least-once allows it). An ack still
-- commits synchronously, which flushes every lease written before it, so an acked message is
-- never delivered again.
DROP FUNCTION IF EXISTS syncline_next_messages(uuid, uuid, text[], uuid, integer, integer, integer, integer);
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
  ack_token uuid,
  deliver_count integer
) LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_cursor bigint;
  v_redelivered integer := 0;
  v_room integer;
  v_live bigint;
  v_sync_ids uuid[];
  v_collection_ids text[];
  v_upstream_ids text[];
  v_updated_idx bigint[];
BEGIN
  -- For this transaction only; see the top of this file.
  PERFORM set_config('synchronous_commit', 'off', true);

  -- Serializes concurrent callers of one consumer: no record is leased twice while its lease is live.
  SELECT c.cursor INTO v_cursor FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  IF p_max_deliver <> -1 THEN
    RETURN QUERY
    UPDATE consumer_leases l SET dead = true, dead_at = now()
    WHERE l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline <= now() AND l.deliver_count >= p_max_deliver
    RETURNING 'dead'::text, l.sync_id, l.collection_id, l.upstream_id, NULL::bigint, NULL::uuid, l.deliver_count;
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
    RETURNING l.sync_id, l.collection_id, l.upstream_id, r.updated_idx, l.ack_token, l.deliver_count
  )
  SELECT 'leased'::text, x.sync_id, x.collection_id, x.upstream_id, x.updated_idx, x.ack_token, x.deliver_count
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
    -- The scan is planned for this call's values (EXECUTE plans each time): a generic plan does not
    -- know the cursor or the LIMIT (DELIVERY.md, the scale figure). The other statements here keep
    -- the plans PostgreSQL caches per connection.
    EXECUTE
      'SELECT array_agg(c.sync_id ORDER BY c.updated_idx), array_agg(c.collection_id ORDER BY c.updated_idx),
              array_agg(c.upstream_id ORDER BY c.updated_idx), array_agg(c.updated_idx ORDER BY c.updated_idx)
       FROM (SELECT r.sync_id, r.collection_id, r.upstream_id, r.updated_idx FROM records r
             WHERE r.stream_id = $1 AND r.updated_idx > $2
               AND ($3::uuid IS NULL OR r.sync_id = $3) AND ($4::text[] IS NULL OR r.collection_id = ANY($4))
             ORDER BY r.updated_idx LIMIT $5) c'
      INTO v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx
      USING p_stream_id, v_cursor, p_sync_id, p_collection_ids, v_room;
  END IF;

  IF cardinality(v_updated_idx) > 0 THEN
    RETURN QUERY
    WITH candidates AS (
      SELECT * FROM unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx) AS c(sync_id, collection_id, upstream_id, updated_idx)
    ), leased AS (
      INSERT INTO consumer_leases AS cl (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
      SELECT p_consumer_id, c.sync_id, c.collection_id, c.upstream_id, c.updated_idx, gen_random_uuid(), 1,
        now() + make_interval(secs => p_ack_wait_ms::double precision / 1000)
      FROM candidates c
      ON CONFLICT ON CONSTRAINT consumer_leases_pkey DO UPDATE
        SET updated_idx = EXCLUDED.updated_idx, ack_token = EXCLUDED.ack_token, deliver_count = 1, deadline = EXCLUDED.deadline, dead = false, dead_at = NULL
        WHERE cl.dead
      RETURNING cl.sync_id, cl.collection_id, cl.upstream_id, cl.updated_idx, cl.ack_token, cl.deliver_count
    )
    SELECT 'leased'::text, l.sync_id, l.collection_id, l.upstream_id, l.updated_idx, l.ack_token, l.deliver_count
    FROM leased l ORDER BY l.updated_idx;
    v_cursor := v_updated_idx[cardinality(v_updated_idx)];
    UPDATE consumer_cursors m SET cursor = v_cursor WHERE m.consumer_id = p_consumer_id;
  END IF;

  -- The new cursor: the records past it are counted by the caller after this commits.
  RETURN QUERY SELECT 'cursor'::text, NULL::uuid, NULL::text, NULL::text, v_cursor, NULL::uuid, NULL::integer;
END;
$$;

-- The messages of a /next call as the JSON texts it answers (syncline_message_json), read after
-- the lease call committed, each at the version its lease names, in the order given. A record that
-- changed in between has no row at that version any more: its lease is dropped here and the
-- message left out of the answer; the new version is past the consumer's cursor (positions follow
-- commit order), so the cursor delivers it, as for a due lease in syncline_next_messages.
CREATE FUNCTION syncline_delivered_messages(
  p_consumer_id uuid, p_ack_tokens uuid[], p_sync_ids uuid[], p_collection_ids text[], p_upstream_ids text[], p_updated_idx bigint[]
) RETURNS TABLE (ack_token uuid, message text)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_found integer;
BEGIN
  RETURN QUERY
  SELECT d.ack_token, syncline_message_json(d.ack_token, r.sync_id, r.collection_id, r.upstream_id, r.updated_idx,
    r.upstream_created_at, r.upstream_updated_at, r.deleted, r.data)
  FROM unnest(p_ack_tokens, p_sync_ids, p_collection_ids, p_upstream_ids, p_updated_idx) WITH ORDINALITY
    AS d(ack_token, sync_id, collection_id, upstream_id, updated_idx, n)
  JOIN records r ON r.sync_id = d.sync_id AND r.collection_id = d.collection_id AND r.upstream_id = d.upstream_id AND r.updated_idx = d.updated_idx
  ORDER BY d.n;
  GET DIAGNOSTICS v_found = ROW_COUNT;
  IF v_found < cardinality(p_ack_tokens) THEN
    DELETE FROM consumer_leases l
    USING unnest(p_ack_tokens, p_sync_ids, p_collection_ids, p_upstream_ids, p_updated_idx) AS d(ack_token, sync_id, collection_id, upstream_id, updated_idx)
    WHERE l.consumer_id = p_consumer_id AND l.ack_token = d.ack_token
      AND NOT EXISTS (SELECT 1 FROM records r WHERE r.sync_id = d.sync_id AND r.collection_id = d.collection_id
                        AND r.upstream_id = d.upstream_id AND r.updated_idx = d.updated_idx);
  END IF;
END;
$$;

-- A consumer's counts: records past the cursor (exact up to p_cap, see syncline_pending_records;
-- none without a cursor) plus new versions waiting behind an ack, live leases, dead. /next calls it
-- after its commit with its new cursor; the consumer's own answers with the stored cursor.
CREATE FUNCTION syncline_consumer_counts(
  p_consumer_id uuid, p_stream_id uuid, p_sync_id uuid, p_collection_ids text[], p_cursor bigint, p_cap integer
) RETURNS TABLE (num_pending bigint, num_ack_pending bigint, num_dead bigint)
LANGUAGE sql STABLE
AS $$
  SELECT syncline_pending_records(p_stream_id, p_sync_id, p_collection_ids, p_cursor, p_cap) + lc.waiting, lc.ack_pending, lc.dead
  FROM syncline_lease_counts(p_consumer_id) lc
$$;

-- The lease counts of migration 0011, in plpgsql so that each connection keeps their plans: a SQL
-- function with SET options is never inlined, and PostgreSQL planned its statements on every call
-- (twice per /next).
CREATE OR REPLACE FUNCTION syncline_lease_counts(p_consumer_id uuid)
RETURNS TABLE (waiting bigint, ack_pending bigint, dead bigint)
LANGUAGE plpgsql STABLE
SET enable_bitmapscan = off
SET enable_seqscan = off
AS $$
BEGIN
  RETURN QUERY
  SELECT
    count(*) FILTER (WHERE l.deliver_count = 0),
    count(*) FILTER (WHERE l.deliver_count > 0),
    (SELECT count(*) FROM consumer_leases d WHERE d.consumer_id = p_consumer_id AND d.dead)
  FROM consumer_leases l
  WHERE l.consumer_id = p_consumer_id AND NOT l.dead;
END;
$$;
