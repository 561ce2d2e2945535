-- /next's answer step (src/consumers/delivery.ts), run after the lease call
-- (syncline_next_messages) committed: the records of the call's messages as JSON
-- (syncline_record_json), each at the version its lease names; first the redeliveries given (their
-- tokens, keys and versions, in order), then the messages of the batch, read from its row
-- (batch_index, in order).
--
-- A record that changed in between has no row at that version any more: its message is left out
-- and its lease dropped (a batch holding it is first turned into per-message leases); the new
-- version is past the consumer's cursor (positions follow commit order), so the cursor delivers it.
-- Built outside the cursor lock (migration 0031). A batch's records are looked up by stream
-- position, which names one version of one record for good.
CREATE OR REPLACE FUNCTION syncline_delivered_messages(
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
