-- /next's locked step for an HTTP consumer of change events (message_kind "event", migration 0059;
-- docs/DELIVERY.md, "Change events"): syncline_next_messages over record_versions, every version a
-- message, with the consumer's event filters (read from its cursor row). The differences:
-- - a lease names one version for good: a due lease is redelivered at its own version, never a
--   newer one (and dropped when that version is past the cursor: the cursor delivers it);
-- - at most one version of a record is leased at a time, so a record's events arrive in order:
--   the scan leases the first version of each record past the cursor and passes over the others
--   (and over any version of a record with a live lease); an ack leases the record's next version
--   the cursor passed (syncline_lease_newer_versions), due at once. A batch is marked
--   (passed_over, migration 0063) when a scan passed over a version of one of its records: the
--   ack of an unmarked batch need not look (syncline_ack_messages).
-- Same arguments and rows as syncline_next_messages.
CREATE OR REPLACE FUNCTION syncline_next_events(
  p_consumer_id uuid,
  p_sync_id uuid,
  p_collection_ids text[],
  p_provider text,
  p_stream_id uuid,
  p_batch_size integer,
  p_ack_wait_ms integer,
  p_max_deliver integer,
  p_max_ack_pending integer,
  p_max_bytes bigint
) RETURNS TABLE (
  kind text,
  sync_id uuid,
  collection_id text,
  upstream_id text,
  updated_idx bigint,
  ack_token uuid,
  deliver_count integer,
  batch_id bigint,
  batch_nonce bigint
) LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_cursor bigint;
  v_actions text[];
  v_fields text[];
  v_redelivered integer := 0;
  v_room integer;
  v_live bigint;
  v_sync_ids uuid[];
  v_collection_ids text[];
  v_upstream_ids text[];
  v_updated_idx bigint[];
  v_first_idx bigint[];
  v_last bigint;
  v_scan_last bigint;
  v_head bigint;
  v_batch_id bigint;
  v_nonce bigint;
  v_budget bigint := COALESCE(p_max_bytes, 9223372036854775807);
  v_bytes bigint := 0;
  v_due_idx bigint[];
  v_scanned_bytes bigint;
  v_record_bytes bigint;
  v_fit integer;
  v_passed boolean;
BEGIN
  PERFORM set_config('synchronous_commit', 'off', true);

  SELECT c.cursor, c.event_actions, c.event_changed_fields INTO v_cursor, v_actions, v_fields
  FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  PERFORM syncline_explode_lease_batches(p_consumer_id, NULL);

  IF p_max_deliver <> -1 THEN
    RETURN QUERY
    UPDATE consumer_leases l SET dead = true, dead_at = now()
    WHERE l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline <= now() AND l.deliver_count >= p_max_deliver
    RETURNING 'dead'::text, l.sync_id, l.collection_id, l.upstream_id, NULL::bigint, NULL::uuid, l.deliver_count, NULL::bigint, NULL::bigint;
  END IF;

  -- A due lease of a version past the cursor: the cursor delivers it.
  DELETE FROM consumer_leases l
  WHERE l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline <= now() AND l.updated_idx > v_cursor;

  IF EXISTS (SELECT 1 FROM consumer_leases d WHERE d.consumer_id = p_consumer_id AND NOT d.dead AND d.deadline <= now()) THEN
    SELECT array_agg(d.updated_idx ORDER BY d.k), COALESCE(max(d.running), 0)
    INTO v_due_idx, v_bytes
    FROM (
      SELECT d.updated_idx, d.k,
        sum(syncline_record_bytes(v.data, v.upstream_id) + 100) OVER (ORDER BY d.k ROWS UNBOUNDED PRECEDING) AS running
      FROM (SELECT d.updated_idx, row_number() OVER (ORDER BY d.deadline, d.updated_idx) AS k
            FROM consumer_leases d
            WHERE d.consumer_id = p_consumer_id AND NOT d.dead AND d.deadline <= now()
            ORDER BY d.deadline, d.updated_idx LIMIT p_batch_size) d
      JOIN record_versions v ON v.stream_id = p_stream_id AND v.updated_idx = d.updated_idx
    ) d
    WHERE d.k = 1 OR d.running <= v_budget;

    IF cardinality(v_due_idx) > 0 THEN
      RETURN QUERY
      WITH leased AS (
        UPDATE consumer_leases l SET deliver_count = l.deliver_count + 1, ack_token = gen_random_uuid(),
          deadline = now() + make_interval(secs => p_ack_wait_ms::double precision / 1000)
        WHERE l.consumer_id = p_consumer_id AND l.updated_idx = ANY(v_due_idx) AND NOT l.dead AND l.deadline <= now()
        RETURNING l.sync_id, l.collection_id, l.upstream_id, l.updated_idx, l.ack_token, l.deliver_count
      )
      SELECT 'leased'::text, x.sync_id, x.collection_id, x.upstream_id, x.updated_idx, x.ack_token, x.deliver_count, NULL::bigint, NULL::bigint
      FROM leased x ORDER BY x.updated_idx;
      GET DIAGNOSTICS v_redelivered = ROW_COUNT;
    END IF;
  END IF;

  v_room := p_batch_size - v_redelivered;
  IF v_redelivered = 0 THEN
    v_bytes := 0;
  ELSIF v_bytes >= v_budget THEN
    v_room := 0;
  END IF;
  IF v_room > 0 THEN
    SELECT lc.waiting + lc.ack_pending INTO v_live FROM syncline_lease_counts(p_consumer_id) lc;
    v_room := LEAST(v_room, GREATEST(0, p_max_ack_pending - v_live))::integer;
  END IF;

  -- Versions past the cursor: the first of each record in the scan (the others wait behind its
  -- lease), with their bytes (an event's envelope is ~100 bytes more than a record's).
  IF v_room > 0 THEN
    EXECUTE
      'SELECT array_agg(c.sync_id ORDER BY c.updated_idx) FILTER (WHERE c.rn = 1), array_agg(c.collection_id ORDER BY c.updated_idx) FILTER (WHERE c.rn = 1),
              array_agg(c.upstream_id ORDER BY c.updated_idx) FILTER (WHERE c.rn = 1), array_agg(c.updated_idx ORDER BY c.updated_idx) FILTER (WHERE c.rn = 1),
              array_agg(c.first_idx ORDER BY c.updated_idx) FILTER (WHERE c.rn = 1),
              max(c.updated_idx),
              (SELECT h.last_idx FROM stream_heads h WHERE h.stream_id = $1),
              (sum(c.bytes) FILTER (WHERE c.rn = 1))::bigint,
              COALESCE(bool_or(c.rn > 1), false)
       FROM (SELECT s.*, row_number() OVER (PARTITION BY s.sync_id, s.collection_id, s.upstream_id ORDER BY s.updated_idx) AS rn
             FROM (SELECT v.sync_id, v.collection_id, v.upstream_id, v.updated_idx, v.first_idx,
                     syncline_record_bytes(v.data, v.upstream_id) + 100 + COALESCE(octet_length(v.changes::text), 0) AS bytes
                   FROM record_versions v
                   WHERE v.stream_id = $1 AND v.updated_idx > $2
                     AND ($3::uuid IS NULL OR v.sync_id = $3) AND ($4::text[] IS NULL OR v.collection_id = ANY($4))
                     AND ($6::text IS NULL OR split_part(v.collection_id, '':'', 1) = $6)
                     AND syncline_event_matches(v.action, v.changes, $7, $8)
                   ORDER BY v.updated_idx LIMIT $5) s) c'
      INTO v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_first_idx, v_scan_last, v_head, v_scanned_bytes, v_passed
      USING p_stream_id, v_cursor, p_sync_id, p_collection_ids, v_room, p_provider, v_actions, v_fields;
    v_last := v_scan_last;

    IF v_bytes + v_scanned_bytes > v_budget THEN
      v_fit := 0;
      FOR v_record_bytes IN
        SELECT syncline_record_bytes(v.data, v.upstream_id) + 100 + COALESCE(octet_length(v.changes::text), 0)
        FROM unnest(v_updated_idx) WITH ORDINALITY AS u(idx, n)
        JOIN record_versions v ON v.stream_id = p_stream_id AND v.updated_idx = u.idx
        ORDER BY u.n
      LOOP
        EXIT WHEN v_bytes + v_record_bytes > v_budget AND NOT (v_fit = 0 AND v_redelivered = 0);
        v_bytes := v_bytes + v_record_bytes;
        v_fit := v_fit + 1;
      END LOOP;
      IF v_fit < cardinality(v_updated_idx) THEN
        -- The cursor stops before the first version left out: the versions after it are scanned again.
        v_last := v_updated_idx[v_fit + 1] - 1;
      END IF;
      v_sync_ids := v_sync_ids[1:v_fit];
      v_collection_ids := v_collection_ids[1:v_fit];
      v_upstream_ids := v_upstream_ids[1:v_fit];
      v_updated_idx := v_updated_idx[1:v_fit];
      v_first_idx := v_first_idx[1:v_fit];
    END IF;
  END IF;

  IF v_last IS NOT NULL THEN
    IF cardinality(v_updated_idx) > 0 AND EXISTS (SELECT 1 FROM unnest(v_first_idx) f WHERE f <= v_cursor) THEN
      DELETE FROM consumer_leases l
      USING unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_first_idx) AS c(sync_id, collection_id, upstream_id, first_idx)
      WHERE c.first_idx <= v_cursor AND l.dead
        AND l.consumer_id = p_consumer_id AND l.sync_id = c.sync_id AND l.collection_id = c.collection_id AND l.upstream_id = c.upstream_id;
      -- A record held by a live batch: the scan passes over its version, the batch's ack leases it.
      -- (An ack of an event consumer's batch waits for this transaction: it locks the cursor row.)
      UPDATE consumer_lease_batches b SET passed_over = true
      WHERE b.consumer_id = p_consumer_id AND NOT b.passed_over
        AND EXISTS (SELECT 1 FROM unnest(b.sync_ids, b.collection_ids, b.upstream_ids) AS k(sync_id, collection_id, upstream_id)
                    JOIN unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_first_idx) AS c(sync_id, collection_id, upstream_id, first_idx)
                      ON c.first_idx <= v_cursor AND c.sync_id = k.sync_id AND c.collection_id = k.collection_id AND c.upstream_id = k.upstream_id);
      WITH candidates AS (
        SELECT * FROM unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_first_idx) WITH ORDINALITY
          AS c(sync_id, collection_id, upstream_id, updated_idx, first_idx, n)
      ), batched AS (
        SELECT k.sync_id, k.collection_id, k.upstream_id FROM consumer_lease_batches b
        CROSS JOIN LATERAL unnest(b.sync_ids, b.collection_ids, b.upstream_ids) AS k(sync_id, collection_id, upstream_id)
        WHERE b.consumer_id = p_consumer_id
      ), free AS (
        SELECT c.* FROM candidates c
        WHERE c.first_idx > v_cursor
           OR (NOT EXISTS (SELECT 1 FROM consumer_leases l WHERE l.consumer_id = p_consumer_id AND l.sync_id = c.sync_id
                             AND l.collection_id = c.collection_id AND l.upstream_id = c.upstream_id)
               AND NOT EXISTS (SELECT 1 FROM batched k WHERE k.sync_id = c.sync_id AND k.collection_id = c.collection_id AND k.upstream_id = c.upstream_id))
      )
      SELECT array_agg(f.sync_id ORDER BY f.n), array_agg(f.collection_id ORDER BY f.n), array_agg(f.upstream_id ORDER BY f.n), array_agg(f.updated_idx ORDER BY f.n)
      INTO v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx
      FROM free f;
    END IF;

    IF cardinality(v_updated_idx) > 0 THEN
      INSERT INTO consumer_lease_batches (consumer_id, nonce, deadline, stream_head, n, sync_ids, collection_ids, upstream_ids, updated_idx, passed_over)
      VALUES (p_consumer_id, ('x' || translate(gen_random_uuid()::text, '-', ''))::bit(64)::bigint & 4611686018427387903,
        now() + make_interval(secs => p_ack_wait_ms::double precision / 1000), COALESCE(v_head, 0), cardinality(v_updated_idx),
        v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_passed)
      RETURNING consumer_lease_batches.batch_id, consumer_lease_batches.nonce INTO v_batch_id, v_nonce;
      RETURN QUERY SELECT 'batch'::text, NULL::uuid, NULL::text, NULL::text, NULL::bigint, NULL::uuid, 1, v_batch_id, v_nonce;
    END IF;

    v_cursor := v_last;
    UPDATE consumer_cursors m SET cursor = v_cursor WHERE m.consumer_id = p_consumer_id;
  END IF;

  RETURN QUERY SELECT 'cursor'::text, NULL::uuid, NULL::text, NULL::text, v_cursor, NULL::uuid, NULL::integer, NULL::bigint, NULL::bigint;
END;
$$;
