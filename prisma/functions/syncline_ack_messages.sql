-- Acks, by token (src/consumers/delivery.ts). Tokens of a live batch (p_batch_ids, p_batch_index,
-- p_batch_nonces: their parts, NULL for other tokens) are acked in it: the batch row goes, and its
-- messages not acked stay leased as per-message leases. Then the other tokens (and those of a batch
-- turned into per-message leases meanwhile) are acked in consumer_leases. A record that changed while
-- leased gets a due lease for its new version (syncline_lease_newer_versions); while the stream's
-- head has not moved since a batch was read, none of its records did, and that lookup is skipped.
-- A consumer of change events looks for a batch's records only when a scan passed over one of
-- their versions (passed_over, migration 0063); it locks its cursor row first, so that no /next
-- marks a batch this ack is removing. Returns the messages acked.
CREATE OR REPLACE FUNCTION syncline_ack_messages(
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
  v_passed boolean;
  v_kind text;
  v_rest uuid[];
BEGIN
  SELECT c.message_kind INTO v_kind FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id;
  IF v_kind = 'event' THEN
    PERFORM 1 FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id FOR KEY SHARE;
  END IF;
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
      SELECT g.batch_id, g.nonce, g.deadline, g.stream_head, g.passed_over, k.sync_id, k.collection_id, k.upstream_id, k.updated_idx, (k.n - 1)::integer AS i
      FROM gone g CROSS JOIN LATERAL unnest(g.sync_ids, g.collection_ids, g.upstream_ids, g.updated_idx) WITH ORDINALITY AS k(sync_id, collection_id, upstream_id, updated_idx, n)
    )
    SELECT array_agg(e.sync_id), array_agg(e.collection_id), array_agg(e.upstream_id), array_agg(e.updated_idx), array_agg(t.token),
      array_agg(e.batch_id), array_agg(e.i), array_agg(e.nonce), array_agg(e.deadline), bool_and(t.token IS NOT NULL),
      COALESCE(array_agg(DISTINCT e.batch_id), '{}'),
      COALESCE(min(e.stream_head) < (SELECT h.last_idx FROM stream_heads h WHERE h.stream_id = p_stream_id), false),
      COALESCE(bool_or(e.passed_over), false)
    INTO v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_tokens,
      v_entry_batches, v_entry_index, v_entry_nonces, v_deadlines, v_all_acked, v_batches, v_moved, v_passed
    FROM entries e LEFT JOIN t ON t.batch_id = e.batch_id AND t.i = e.i AND t.nonce = e.nonce;

    IF NOT v_all_acked THEN
      INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
      SELECT p_consumer_id, e.sync_id, e.collection_id, e.upstream_id, e.updated_idx, syncline_batch_ack_token(e.batch_id, e.i, e.nonce), 1, e.deadline
      FROM unnest(v_sync_ids, v_collection_ids, v_upstream_ids, v_updated_idx, v_tokens, v_entry_batches, v_entry_index, v_entry_nonces, v_deadlines)
        AS e(sync_id, collection_id, upstream_id, updated_idx, token, batch_id, i, nonce, deadline)
      WHERE e.token IS NULL;
    END IF;

    -- A consumer of change events: a version past the cursor is the cursor's to deliver, one at or
    -- behind it was passed over by a scan, which marked the batch.
    IF (v_kind = 'event' AND v_passed) OR (v_kind IS DISTINCT FROM 'event' AND v_moved) THEN
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
