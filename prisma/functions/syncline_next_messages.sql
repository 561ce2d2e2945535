-- /next's locked step (docs/DELIVERY.md; src/consumers/delivery.ts). Under the consumer's cursor row
-- lock, which serializes a consumer's callers so that no record is leased twice while its lease is
-- live: batches past their deadline become per-message leases; due leases past max_deliver are
-- dead-lettered; the other due leases are redelivered with their record's latest version; the
-- records past the cursor are leased as one batch row (consumer_lease_batches), all of it within
-- p_max_bytes (NULL: no budget). Rows: 'dead', 'leased' (redeliveries), 'batch' (the new batch's
-- id and nonce), then 'cursor' (the cursor after this call).
--
-- Why this shape:
-- - One call instead of statements sent one by one between BEGIN and COMMIT (migration 0010): the
--   cursor row is locked for the time the statements take, not for the round trips between them.
-- - Only keys, versions and tokens are returned. The messages' JSON and the consumer's counts are
--   read after this commits (syncline_delivered_messages, syncline_consumer_counts: migration 0031),
--   so the lock is not held while they are built.
-- - synchronous_commit is off for this transaction alone: if PostgreSQL itself crashes before the
--   WAL flush, the leases and the cursor move are lost and the unacked messages are delivered again
--   (at-least-once allows it); an ack commits synchronously, which flushes every lease before it.
-- - A due lease whose record's latest version is past the cursor is dropped, not redelivered: the
--   cursor delivers that version; redelivering it here delivered it twice (found by the crash part
--   of the reliability suite, migration 0011).
-- - Only the cursor scan is planned per call (EXECUTE): a generic plan knows neither the cursor nor
--   the LIMIT (DELIVERY.md, the scale figure). The other statements keep the plans PostgreSQL caches
--   per connection, hence no plan_cache_mode setting on the function.
-- - New deliveries are one batch row, not a lease row per message (migration 0032, DELIVERY.md
--   "Lease batches"); records.first_idx tells which scanned records cannot have a live lease.
-- - The due leases are chosen before they are redelivered: their bytes decide how much room the
--   cursor's records have (migration 0043, DELIVERY.md "Byte budget"); the first message always goes.
-- - p_provider (migration 0051) filters like p_collection_ids: only the cursor scan reads records
--   of other providers, and passes over them; leases only ever hold records the filter let through.
CREATE OR REPLACE FUNCTION syncline_next_messages(
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
  v_redelivered integer := 0;
  v_room integer;
  v_live bigint;
  v_sync_ids uuid[];
  v_collection_ids text[];
  v_upstream_ids text[];
  v_updated_idx bigint[];
  v_first_idx bigint[];
  v_last bigint;
  v_head bigint;
  v_batch_id bigint;
  v_nonce bigint;
  v_budget bigint := COALESCE(p_max_bytes, 9223372036854775807);
  v_bytes bigint := 0;
  v_due_sync_ids uuid[];
  v_due_collection_ids text[];
  v_due_upstream_ids text[];
  v_scanned_bytes bigint;
  v_record_bytes bigint;
  v_fit integer;
BEGIN
  -- For this transaction only (migration 0031).
  PERFORM set_config('synchronous_commit', 'off', true);

  -- Serializes concurrent callers of one consumer: no record is leased twice while its lease is live.
  SELECT c.cursor INTO v_cursor FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id FOR UPDATE;
  IF NOT FOUND THEN
    RETURN;
  END IF;

  -- Batches past their deadline become per-message leases, due now: redelivered or dead below.
  PERFORM syncline_explode_lease_batches(p_consumer_id, NULL);

  IF p_max_deliver <> -1 THEN
    RETURN QUERY
    UPDATE consumer_leases l SET dead = true, dead_at = now()
    WHERE l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline <= now() AND l.deliver_count >= p_max_deliver
    RETURNING 'dead'::text, l.sync_id, l.collection_id, l.upstream_id, NULL::bigint, NULL::uuid, l.deliver_count, NULL::bigint, NULL::bigint;
  END IF;

  -- A due lease whose record's latest version is past the cursor is dropped, not redelivered: the
  -- cursor will deliver that version when it gets there (migration 0031).
  DELETE FROM consumer_leases l USING records r
  WHERE l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline <= now()
    AND r.sync_id = l.sync_id AND r.collection_id = l.collection_id AND r.upstream_id = l.upstream_id
    AND r.updated_idx > v_cursor;

  -- Other expired leases, redelivered with the record's latest version and a new token: in
  -- deadline order, while their bytes fit the budget (the first always). Looked for first: the
  -- common call has none, and pays one index probe for it.
  IF EXISTS (SELECT 1 FROM consumer_leases d WHERE d.consumer_id = p_consumer_id AND NOT d.dead AND d.deadline <= now()) THEN
    SELECT array_agg(d.sync_id ORDER BY d.k), array_agg(d.collection_id ORDER BY d.k), array_agg(d.upstream_id ORDER BY d.k), COALESCE(max(d.running), 0)
    INTO v_due_sync_ids, v_due_collection_ids, v_due_upstream_ids, v_bytes
    FROM (
      SELECT d.sync_id, d.collection_id, d.upstream_id, d.k,
        sum(syncline_record_bytes(r.data, r.upstream_id)) OVER (ORDER BY d.k ROWS UNBOUNDED PRECEDING) AS running
      FROM (SELECT d.sync_id, d.collection_id, d.upstream_id, row_number() OVER (ORDER BY d.deadline, d.updated_idx) AS k
            FROM consumer_leases d
            WHERE d.consumer_id = p_consumer_id AND NOT d.dead AND d.deadline <= now()
            ORDER BY d.deadline, d.updated_idx LIMIT p_batch_size) d
      JOIN records r ON r.sync_id = d.sync_id AND r.collection_id = d.collection_id AND r.upstream_id = d.upstream_id
    ) d
    WHERE d.k = 1 OR d.running <= v_budget;

    IF cardinality(v_due_sync_ids) > 0 THEN
      RETURN QUERY
      WITH leased AS (
        UPDATE consumer_leases l SET deliver_count = l.deliver_count + 1, ack_token = gen_random_uuid(),
          deadline = now() + make_interval(secs => p_ack_wait_ms::double precision / 1000), updated_idx = r.updated_idx
        FROM unnest(v_due_sync_ids, v_due_collection_ids, v_due_upstream_ids) AS due(sync_id, collection_id, upstream_id), records r
        WHERE l.consumer_id = p_consumer_id AND l.sync_id = due.sync_id AND l.collection_id = due.collection_id AND l.upstream_id = due.upstream_id
          AND NOT l.dead AND l.deadline <= now()
          AND r.sync_id = l.sync_id AND r.collection_id = l.collection_id AND r.upstream_id = l.upstream_id
        RETURNING l.sync_id, l.collection_id, l.upstream_id, r.updated_idx, l.ack_token, l.deliver_count
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

  -- Records past the cursor fill the batch, up to max_ack_pending live leases in all and while
  -- their bytes fit what the redeliveries left of the budget (the first always, if there were
  -- none). The scan is planned for this call's values (migration 0031). It sums the records'
  -- bytes (~0.5 µs a record); only a batch over the budget is cut, record by record.
  IF v_room > 0 THEN
    EXECUTE
      'SELECT array_agg(c.sync_id ORDER BY c.updated_idx), array_agg(c.collection_id ORDER BY c.updated_idx),
              array_agg(c.upstream_id ORDER BY c.updated_idx), array_agg(c.updated_idx ORDER BY c.updated_idx),
              array_agg(c.first_idx ORDER BY c.updated_idx),
              (SELECT h.last_idx FROM stream_heads h WHERE h.stream_id = $1),
              sum(c.bytes)::bigint
       FROM (SELECT r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, r.first_idx, syncline_record_bytes(r.data, r.upstream_id) AS bytes
             FROM records r
             WHERE r.stream_id = $1 AND r.updated_idx > $2
               AND ($3::uuid IS NULL OR r.sync_id = $3) AND ($4::text[] IS NULL OR r.collection_id = ANY($4))
               AND ($6::text IS NULL OR split_part(r.collection_id, '':'', 1) = $6)
             ORDER BY r.updated_idx LIMIT $5) c'
      INTO v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_first_idx, v_head, v_scanned_bytes
      USING p_stream_id, v_cursor, p_sync_id, p_collection_ids, v_room, p_provider;

    IF v_bytes + v_scanned_bytes > v_budget THEN
      -- The records' bytes by position (a record changed since the scan counts for nothing: the
      -- answer leaves it out), kept while they fit.
      v_fit := 0;
      FOR v_record_bytes IN
        SELECT COALESCE(syncline_record_bytes(r.data, r.upstream_id), 0)
        FROM unnest(v_updated_idx) WITH ORDINALITY AS u(idx, n)
        LEFT JOIN records r ON r.stream_id = p_stream_id AND r.updated_idx = u.idx
        ORDER BY u.n
      LOOP
        EXIT WHEN v_bytes + v_record_bytes > v_budget AND NOT (v_fit = 0 AND v_redelivered = 0);
        v_bytes := v_bytes + v_record_bytes;
        v_fit := v_fit + 1;
      END LOOP;
      v_sync_ids := v_sync_ids[1:v_fit];
      v_collection_ids := v_collection_ids[1:v_fit];
      v_upstream_ids := v_upstream_ids[1:v_fit];
      v_updated_idx := v_updated_idx[1:v_fit];
      v_first_idx := v_first_idx[1:v_fit];
    END IF;
  END IF;

  IF cardinality(v_updated_idx) > 0 THEN
    -- The cursor moves past every record scanned, leased or not.
    v_last := v_updated_idx[cardinality(v_updated_idx)];

    -- A record whose key has a live lease is passed over: its new version follows the ack (or the
    -- expiry). Only a record first written at or behind the cursor can have one. A dead lease of
    -- the key gives way to the new delivery.
    IF EXISTS (SELECT 1 FROM unnest(v_first_idx) f WHERE f IS NULL OR f <= v_cursor) THEN
      DELETE FROM consumer_leases l
      USING unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_first_idx) AS c(sync_id, collection_id, upstream_id, first_idx)
      WHERE (c.first_idx IS NULL OR c.first_idx <= v_cursor) AND l.dead
        AND l.consumer_id = p_consumer_id AND l.sync_id = c.sync_id AND l.collection_id = c.collection_id AND l.upstream_id = c.upstream_id;
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
      INSERT INTO consumer_lease_batches (consumer_id, nonce, deadline, stream_head, n, sync_ids, collection_ids, upstream_ids, updated_idx)
      VALUES (p_consumer_id, ('x' || translate(gen_random_uuid()::text, '-', ''))::bit(64)::bigint & 4611686018427387903,
        now() + make_interval(secs => p_ack_wait_ms::double precision / 1000), COALESCE(v_head, 0), cardinality(v_updated_idx),
        v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx)
      RETURNING consumer_lease_batches.batch_id, consumer_lease_batches.nonce INTO v_batch_id, v_nonce;
      RETURN QUERY SELECT 'batch'::text, NULL::uuid, NULL::text, NULL::text, NULL::bigint, NULL::uuid, 1, v_batch_id, v_nonce;
    END IF;

    v_cursor := v_last;
    UPDATE consumer_cursors m SET cursor = v_cursor WHERE m.consumer_id = p_consumer_id;
  END IF;

  -- The new cursor: the records past it are counted by the caller after this commits.
  RETURN QUERY SELECT 'cursor'::text, NULL::uuid, NULL::text, NULL::text, v_cursor, NULL::uuid, NULL::integer, NULL::bigint, NULL::bigint;
END;
$$;
