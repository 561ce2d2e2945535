-- The records /next leases from past the cursor are one row per call, not one per message
-- (DELIVERY.md, "Lease batches").
--
-- A lease row per message cost its insert and its delete, each with three index entries: more
-- than a third of PostgreSQL's time per message in `npm run bench`, consume. A batch row holds the
-- keys and versions of a call's new deliveries; each message keeps its own ack token, which names
-- the batch, the message's place in it and the batch's secret (syncline_batch_ack_token).
-- Everything that is not "delivered once, acked in full" turns the batch back into per-message
-- leases (syncline_explode_lease_batches), with the same tokens, deadline and deliver count, and
-- the rules of consumer_leases apply from there:
-- - the batch's deadline passed (the next /next, before redeliveries);
-- - an ack of part of the batch (the rest stay leased);
-- - a nack of any of its messages;
-- - a record that changed between the lease and the answer (syncline_delivered_messages).

CREATE TABLE consumer_lease_batches (
  consumer_id uuid NOT NULL,
  batch_id bigint GENERATED ALWAYS AS IDENTITY,
  -- 62 random bits, in every ack token of the batch.
  nonce bigint NOT NULL,
  deadline timestamp(3) with time zone NOT NULL,
  -- The stream's head when the batch's records were read: while it has not moved, none of them
  -- has changed since (syncline_ack_messages).
  stream_head bigint NOT NULL,
  n integer NOT NULL,
  sync_ids uuid[] NOT NULL,
  collection_ids text[] NOT NULL,
  upstream_ids text[] NOT NULL,
  updated_idx bigint[] NOT NULL,
  PRIMARY KEY (consumer_id, batch_id)
);
CREATE INDEX consumer_lease_batches_due_idx ON consumer_lease_batches (consumer_id, deadline);
-- A batch of 100 is ~6 KB of arrays: kept in its row as it is, rather than compressed and moved
-- to the TOAST table on every insert (and read back from there by every ack). Larger batches
-- are still TOASTed.
ALTER TABLE consumer_lease_batches SET (toast_tuple_target = 8160);

-- The position at which a record was first written. A live lease holds a version at or behind the
-- cursor, so a record first written past the cursor has none, and /next need not look for one.
-- NULL (records written before this migration): unknown, looked for.
ALTER TABLE records ADD COLUMN first_idx bigint;

CREATE OR REPLACE FUNCTION syncline_project_records(p_stream uuid, p_sync uuid, p_collection text, p_versions jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n integer := jsonb_array_length(p_versions);
  max_idx bigint;
BEGIN
  IF n = 0 THEN
    RETURN NULL;
  END IF;
  WITH head AS (
    INSERT INTO stream_heads (stream_id, last_idx) VALUES (p_stream, n)
    ON CONFLICT (stream_id) DO UPDATE SET last_idx = stream_heads.last_idx + n
    RETURNING last_idx
  ), written AS (
    INSERT INTO records (sync_id, collection_id, upstream_id, stream_id, updated_idx, first_idx, data, data_hash, deleted, upstream_created_at, upstream_updated_at)
    SELECT p_sync, p_collection, v.rec->>'upstreamId', p_stream, (SELECT last_idx FROM head) - n + v.ord, (SELECT last_idx FROM head) - n + v.ord,
      v.rec->'data', v.rec->>'dataHash', (v.rec->>'deleted')::boolean, (v.rec->>'upstreamCreatedAt')::timestamptz, (v.rec->>'upstreamUpdatedAt')::timestamptz
    FROM jsonb_array_elements(p_versions) WITH ORDINALITY AS v(rec, ord)
    ON CONFLICT (sync_id, collection_id, upstream_id) DO UPDATE SET
      updated_idx = EXCLUDED.updated_idx,
      data = CASE WHEN EXCLUDED.deleted AND EXCLUDED.data = '{}'::jsonb THEN records.data ELSE EXCLUDED.data END,
      data_hash = EXCLUDED.data_hash,
      deleted = EXCLUDED.deleted,
      upstream_created_at = COALESCE(EXCLUDED.upstream_created_at, records.upstream_created_at),
      upstream_updated_at = EXCLUDED.upstream_updated_at
    RETURNING updated_idx
  )
  SELECT max(w.updated_idx) INTO max_idx FROM written w;
  RETURN max_idx;
END;
$$;

-- The ack token of a batch's message (0-based index), a UUID of version 8:
-- bbbbbbbb-bbbb-8iii-nnnn-nnnnnnnnnnnn, b the batch id (48 bits), i the index (12 bits), n the
-- batch's nonce with the RFC 9562 variant bits (10). src/consumers/ack-tokens.ts writes and reads
-- the same format.
CREATE FUNCTION syncline_batch_ack_token(p_batch_id bigint, p_index integer, p_nonce bigint)
RETURNS uuid LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT (lpad(to_hex(p_batch_id), 12, '0') || '8' || lpad(to_hex(p_index), 3, '0') || to_hex(p_nonce | (-9223372036854775808)::bigint))::uuid
$$;

-- Turns batches back into one lease per message, with the batch's tokens, deadline and a
-- deliver count of 1: the batches named, or (NULL) those whose deadline passed.
CREATE FUNCTION syncline_explode_lease_batches(p_consumer_id uuid, p_batch_ids bigint[])
RETURNS void LANGUAGE plpgsql
AS $$
BEGIN
  IF p_batch_ids IS NULL THEN
    IF NOT EXISTS (SELECT 1 FROM consumer_lease_batches b WHERE b.consumer_id = p_consumer_id AND b.deadline <= now()) THEN
      RETURN;
    END IF;
  ELSIF cardinality(p_batch_ids) = 0 THEN
    RETURN;
  END IF;
  WITH gone AS (
    DELETE FROM consumer_lease_batches b
    WHERE b.consumer_id = p_consumer_id
      AND CASE WHEN p_batch_ids IS NULL THEN b.deadline <= now() ELSE b.batch_id = ANY(p_batch_ids) END
    RETURNING b.*
  )
  INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
  SELECT b.consumer_id, k.sync_id, k.collection_id, k.upstream_id, k.updated_idx, syncline_batch_ack_token(b.batch_id, (k.n - 1)::integer, b.nonce), 1, b.deadline
  FROM gone b CROSS JOIN LATERAL unnest(b.sync_ids, b.collection_ids, b.upstream_ids, b.updated_idx) WITH ORDINALITY AS k(sync_id, collection_id, upstream_id, updated_idx, n);
END;
$$;

-- Every lease, per message: the per-message rows (live and dead) and the messages of the batches.
CREATE VIEW consumer_lease_entries AS
  SELECT l.consumer_id, l.sync_id, l.collection_id, l.upstream_id, l.updated_idx, l.ack_token, l.deliver_count, l.deadline, l.dead, l.dead_at
  FROM consumer_leases l
  UNION ALL
  SELECT b.consumer_id, k.sync_id, k.collection_id, k.upstream_id, k.updated_idx, syncline_batch_ack_token(b.batch_id, (k.n - 1)::integer, b.nonce),
    1, b.deadline, false, NULL::timestamp(3) with time zone
  FROM consumer_lease_batches b CROSS JOIN LATERAL unnest(b.sync_ids, b.collection_ids, b.upstream_ids, b.updated_idx) WITH ORDINALITY AS k(sync_id, collection_id, upstream_id, updated_idx, n);

-- /next's locked step (migration 0031), with the new deliveries in one batch row. Rows: 'dead'
-- and 'leased' (redeliveries, per message, as before); 'batch', the new batch (batch_id,
-- batch_nonce), whose messages syncline_delivered_messages reads from the batch row itself; then
-- 'cursor'.
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
  SELECT 'leased'::text, x.sync_id, x.collection_id, x.upstream_id, x.updated_idx, x.ack_token, x.deliver_count, NULL::bigint, NULL::bigint
  FROM leased x ORDER BY x.updated_idx;
  GET DIAGNOSTICS v_redelivered = ROW_COUNT;

  v_room := p_batch_size - v_redelivered;
  IF v_room > 0 THEN
    SELECT lc.waiting + lc.ack_pending INTO v_live FROM syncline_lease_counts(p_consumer_id) lc;
    v_room := LEAST(v_room, GREATEST(0, p_max_ack_pending - v_live))::integer;
  END IF;

  -- Records past the cursor fill the batch, up to max_ack_pending live leases in all. The scan is
  -- planned for this call's values (migration 0031).
  IF v_room > 0 THEN
    EXECUTE
      'SELECT array_agg(c.sync_id ORDER BY c.updated_idx), array_agg(c.collection_id ORDER BY c.updated_idx),
              array_agg(c.upstream_id ORDER BY c.updated_idx), array_agg(c.updated_idx ORDER BY c.updated_idx),
              array_agg(c.first_idx ORDER BY c.updated_idx),
              (SELECT h.last_idx FROM stream_heads h WHERE h.stream_id = $1)
       FROM (SELECT r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, r.first_idx FROM records r
             WHERE r.stream_id = $1 AND r.updated_idx > $2
               AND ($3::uuid IS NULL OR r.sync_id = $3) AND ($4::text[] IS NULL OR r.collection_id = ANY($4))
             ORDER BY r.updated_idx LIMIT $5) c'
      INTO v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_first_idx, v_head
      USING p_stream_id, v_cursor, p_sync_id, p_collection_ids, v_room;
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

-- A record as the JSON text of DESIGN.md §2 (the keys and order of presentRecordRow), the
-- `record` of a message; migration 0011's syncline_message_json without the ack token, which the
-- server writes around it (src/consumers/delivery.ts).
CREATE FUNCTION syncline_record_json(
  p_sync_id uuid, p_collection_id text, p_upstream_id text, p_updated_idx bigint,
  p_upstream_created_at timestamptz, p_upstream_updated_at timestamptz, p_deleted boolean, p_data jsonb
) RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT concat(
    '{"sync_id":"', p_sync_id,
    '","collection_id":', to_json(p_collection_id), ',"upstream_id":', to_json(p_upstream_id),
    ',"updated_idx":', p_updated_idx,
    ',"upstream_created_at":', COALESCE(to_json(to_char(p_upstream_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null'),
    ',"upstream_updated_at":', COALESCE(to_json(to_char(p_upstream_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null'),
    ',"deleted":', CASE WHEN p_deleted THEN 'true' ELSE 'false' END,
    ',"data":', p_data::text, '}')
$$;

-- Migration 0031's answer step: the records of a /next call's messages as JSON (syncline_record_json),
-- read after the lease call committed, each at the version its lease names: first the
-- redeliveries given (their tokens, keys and versions, in order), then the messages of the batch
-- (read from its row; batch_index, in order). A record that changed in between has no row at that
-- version any more: its message is left out and its lease dropped (a batch holding it first
-- turned into per-message leases); the new version is past the consumer's cursor (positions
-- follow commit order), so the cursor delivers it, as for a due lease in syncline_next_messages.
DROP FUNCTION syncline_delivered_messages(uuid, uuid[], uuid[], text[], text[], bigint[]);
CREATE FUNCTION syncline_delivered_messages(
  p_consumer_id uuid, p_stream_id uuid, p_batch_id bigint, p_ack_tokens uuid[], p_sync_ids uuid[], p_collection_ids text[], p_upstream_ids text[], p_updated_idx bigint[]
) RETURNS TABLE (batch_index integer, ack_token uuid, sync_id uuid, collection_id text, upstream_id text, updated_idx bigint, record text)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_found integer;
  v_batch consumer_lease_batches%ROWTYPE;
BEGIN
  IF cardinality(p_ack_tokens) > 0 THEN
    RETURN QUERY
    SELECT NULL::integer, d.ack_token, r.sync_id, r.collection_id, r.upstream_id, r.updated_idx,
      syncline_record_json(r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, r.upstream_created_at, r.upstream_updated_at, r.deleted, r.data)
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
  END IF;

  IF p_batch_id IS NULL THEN
    RETURN;
  END IF;
  -- Gone already if its deadline passed and a call turned it into per-message leases: those are
  -- due, and redelivered.
  SELECT * INTO v_batch FROM consumer_lease_batches b WHERE b.consumer_id = p_consumer_id AND b.batch_id = p_batch_id;
  IF NOT FOUND THEN
    RETURN;
  END IF;
  -- A position of the stream names one version of one record, for good: the lookup is by
  -- position (the stream's index of bigints), not by key.
  RETURN QUERY
  SELECT (d.n - 1)::integer, NULL::uuid, r.sync_id, r.collection_id, r.upstream_id, r.updated_idx,
    syncline_record_json(r.sync_id, r.collection_id, r.upstream_id, r.updated_idx, r.upstream_created_at, r.upstream_updated_at, r.deleted, r.data)
  FROM unnest(v_batch.updated_idx) WITH ORDINALITY AS d(updated_idx, n)
  JOIN records r ON r.stream_id = p_stream_id AND r.updated_idx = d.updated_idx
  ORDER BY d.n;
  GET DIAGNOSTICS v_found = ROW_COUNT;
  IF v_found < v_batch.n THEN
    PERFORM syncline_explode_lease_batches(p_consumer_id, ARRAY[p_batch_id]);
    DELETE FROM consumer_leases l
    USING unnest(v_batch.sync_ids, v_batch.collection_ids, v_batch.upstream_ids, v_batch.updated_idx) AS d(sync_id, collection_id, upstream_id, updated_idx)
    WHERE l.consumer_id = p_consumer_id AND l.sync_id = d.sync_id AND l.collection_id = d.collection_id AND l.upstream_id = d.upstream_id
      AND l.updated_idx = d.updated_idx
      AND NOT EXISTS (SELECT 1 FROM records r WHERE r.sync_id = d.sync_id AND r.collection_id = d.collection_id
                        AND r.upstream_id = d.upstream_id AND r.updated_idx = d.updated_idx);
  END IF;
END;
$$;

-- Built by syncline_record_json and the server since migration 0032.
DROP FUNCTION syncline_message_json(uuid, uuid, text, text, bigint, timestamptz, timestamptz, boolean, jsonb);

-- The rule of an ack for a record that changed while leased (migration 0003): a due lease for
-- its new version (deliver count 0), delivered by the next call, instead of the change being
-- forgotten. For the acked messages given: those with a token (NULL: not acked).
CREATE FUNCTION syncline_lease_newer_versions(
  p_consumer_id uuid, p_sync_ids uuid[], p_collection_ids text[], p_upstream_ids text[], p_updated_idx bigint[], p_tokens uuid[]
) RETURNS void
LANGUAGE plpgsql
AS $$
BEGIN
  INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
  SELECT p_consumer_id, a.sync_id, a.collection_id, a.upstream_id, a.latest_idx, gen_random_uuid(), 0, now()
  FROM (
    -- A scalar subquery keeps this a primary-key lookup per acked record.
    SELECT e.*, (SELECT r.updated_idx FROM records r
                 WHERE r.sync_id = e.sync_id AND r.collection_id = e.collection_id AND r.upstream_id = e.upstream_id) AS latest_idx
    FROM unnest(p_sync_ids, p_collection_ids, p_upstream_ids, p_updated_idx, p_tokens) AS e(sync_id, collection_id, upstream_id, updated_idx, token)
    WHERE e.token IS NOT NULL
  ) a
  WHERE a.latest_idx > a.updated_idx;
END;
$$;

-- Acks, by token. Tokens of a live batch (p_batch_ids, p_batch_index, p_batch_nonces: their parts,
-- NULL for other tokens) are acked in it: the batch row goes, and its messages not acked stay
-- leased as per-message leases. Then the other tokens (and those of a batch turned into
-- per-message leases meanwhile: a statement of its own sees that commit) are acked in
-- consumer_leases, as in migration 0003. A record that changed while leased gets a due lease for
-- its new version (syncline_lease_newer_versions); while the stream's head has not moved since a
-- batch was read, none of its records did.
CREATE FUNCTION syncline_ack_messages(
  p_consumer_id uuid, p_stream_id uuid, p_tokens uuid[], p_batch_ids bigint[], p_batch_index integer[], p_batch_nonces bigint[]
) RETURNS TABLE (sync_id uuid, collection_id text, upstream_id text, ack_token uuid)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
DECLARE
  v_batches bigint[] := '{}';
  v_sync_ids uuid[];
  v_collection_ids text[];
  v_upstream_ids text[];
  v_updated_idx bigint[];
  v_tokens uuid[];
  v_entry_batches bigint[];
  v_entry_index integer[];
  v_entry_nonces bigint[];
  v_deadlines timestamptz[];
  v_all_acked boolean;
  v_moved boolean;
  v_rest uuid[];
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(p_batch_ids) b WHERE b IS NOT NULL) THEN
    -- The batches named by at least one of their tokens, live: gone, with each message and its
    -- token if acked (NULL: it stays leased).
    WITH t AS (
      SELECT DISTINCT t.token, t.batch_id, t.i, t.nonce
      FROM unnest(p_tokens, p_batch_ids, p_batch_index, p_batch_nonces) AS t(token, batch_id, i, nonce)
      WHERE t.batch_id IS NOT NULL
    ), gone AS (
      DELETE FROM consumer_lease_batches b
      WHERE b.consumer_id = p_consumer_id AND b.deadline > now()
        AND b.batch_id IN (SELECT t.batch_id FROM t WHERE t.nonce = b.nonce AND t.i < b.n)
      RETURNING b.*
    ), entries AS (
      SELECT g.batch_id, g.nonce, g.deadline, g.stream_head, k.sync_id, k.collection_id, k.upstream_id, k.updated_idx, (k.n - 1)::integer AS i
      FROM gone g CROSS JOIN LATERAL unnest(g.sync_ids, g.collection_ids, g.upstream_ids, g.updated_idx) WITH ORDINALITY AS k(sync_id, collection_id, upstream_id, updated_idx, n)
    )
    SELECT array_agg(e.sync_id), array_agg(e.collection_id), array_agg(e.upstream_id), array_agg(e.updated_idx), array_agg(t.token),
      array_agg(e.batch_id), array_agg(e.i), array_agg(e.nonce), array_agg(e.deadline), bool_and(t.token IS NOT NULL),
      COALESCE(array_agg(DISTINCT e.batch_id), '{}'),
      COALESCE(min(e.stream_head) < (SELECT h.last_idx FROM stream_heads h WHERE h.stream_id = p_stream_id), false)
    INTO v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_tokens,
      v_entry_batches, v_entry_index, v_entry_nonces, v_deadlines, v_all_acked, v_batches, v_moved
    FROM entries e LEFT JOIN t ON t.batch_id = e.batch_id AND t.i = e.i AND t.nonce = e.nonce;

    IF NOT v_all_acked THEN
      INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
      SELECT p_consumer_id, e.sync_id, e.collection_id, e.upstream_id, e.updated_idx, syncline_batch_ack_token(e.batch_id, e.i, e.nonce), 1, e.deadline
      FROM unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_tokens, v_entry_batches, v_entry_index, v_entry_nonces, v_deadlines)
        AS e(sync_id, collection_id, upstream_id, updated_idx, token, batch_id, i, nonce, deadline)
      WHERE e.token IS NULL;
    END IF;

    IF v_moved THEN
      PERFORM syncline_lease_newer_versions(p_consumer_id, v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_tokens);
    END IF;

    RETURN QUERY
    SELECT e.sync_id, e.collection_id, e.upstream_id, e.token
    FROM unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_tokens) AS e(sync_id, collection_id, upstream_id, token)
    WHERE e.token IS NOT NULL;
  END IF;

  SELECT array_agg(t.token) INTO v_rest
  FROM unnest(p_tokens, p_batch_ids) AS t(token, batch_id)
  WHERE t.batch_id IS NULL OR t.batch_id <> ALL(v_batches);
  IF cardinality(v_rest) > 0 THEN
    WITH acked AS (
      DELETE FROM consumer_leases l USING unnest(v_rest) AS t(token)
      WHERE l.ack_token = t.token AND l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline > now()
      RETURNING l.sync_id, l.collection_id, l.upstream_id, l.updated_idx, l.ack_token
    )
    SELECT array_agg(a.sync_id), array_agg(a.collection_id), array_agg(a.upstream_id), array_agg(a.updated_idx), array_agg(a.ack_token)
    INTO v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_tokens
    FROM acked a;
    PERFORM syncline_lease_newer_versions(p_consumer_id, v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_tokens);
    RETURN QUERY SELECT * FROM unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_tokens);
  END IF;
END;
$$;

-- Nacks, by token: the batches named are turned into per-message leases first (the other
-- messages keep their tokens and deadline), then the leases of the tokens are due after the delay.
CREATE FUNCTION syncline_nack_messages(p_consumer_id uuid, p_tokens uuid[], p_batch_ids bigint[], p_delay_ms integer)
RETURNS TABLE (sync_id uuid, collection_id text, upstream_id text, ack_token uuid)
LANGUAGE plpgsql
AS $$
#variable_conflict use_column
BEGIN
  IF EXISTS (SELECT 1 FROM unnest(p_batch_ids) b WHERE b IS NOT NULL) THEN
    PERFORM syncline_explode_lease_batches(p_consumer_id, ARRAY(SELECT DISTINCT b FROM unnest(p_batch_ids) b WHERE b IS NOT NULL));
  END IF;
  RETURN QUERY
  UPDATE consumer_leases l SET deadline = now() + make_interval(secs => p_delay_ms::double precision / 1000)
  FROM unnest(p_tokens) AS t(token)
  WHERE l.ack_token = t.token AND l.consumer_id = p_consumer_id AND NOT l.dead AND l.deadline > now()
  RETURNING l.sync_id, l.collection_id, l.upstream_id, l.ack_token;
END;
$$;

-- A consumer's lease counts (migration 0031), the messages of its batches among the live ones.
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
    count(*) FILTER (WHERE l.deliver_count > 0)
      + (SELECT COALESCE(sum(b.n), 0) FROM consumer_lease_batches b WHERE b.consumer_id = p_consumer_id)::bigint,
    (SELECT count(*) FROM consumer_leases d WHERE d.consumer_id = p_consumer_id AND d.dead)
  FROM consumer_leases l
  WHERE l.consumer_id = p_consumer_id AND NOT l.dead;
END;
$$;
