-- /next's answer step for a consumer of change events (migration 0059), after syncline_next_events
-- committed: each message's event JSON (syncline_event_json) at the version its lease names, the
-- redeliveries given first, then the batch's messages. A version never changes, so unlike
-- syncline_delivered_messages no message is ever left out. Same arguments and rows. (PL/pgSQL: its body is checked when
-- called, so the functions it calls may be installed after it.)
CREATE OR REPLACE FUNCTION syncline_delivered_events(
  p_consumer_id uuid, p_stream_id uuid, p_batch_id bigint, p_ack_tokens uuid[], p_sync_ids uuid[], p_collection_ids text[], p_upstream_ids text[], p_updated_idx bigint[]
) RETURNS TABLE (batch_index integer, ack_token uuid, sync_id uuid, collection_id text, upstream_id text, updated_idx bigint, record text)
LANGUAGE plpgsql STABLE
AS $$
#variable_conflict use_column
BEGIN
  RETURN QUERY
  SELECT x.batch_index, x.ack_token, x.sync_id, x.collection_id, x.upstream_id, x.updated_idx, x.record FROM (
  SELECT 0 AS part, d.n, NULL::integer AS batch_index, d.ack_token, v.sync_id, v.collection_id, v.upstream_id, v.updated_idx,
    syncline_event_json(v.sync_id, v.collection_id, v.upstream_id, v.updated_idx, v.upstream_created_at, v.upstream_updated_at, v.deleted, v.data,
      v.action, v.changes, v.changed_at) AS record
  FROM (SELECT * FROM unnest(p_ack_tokens, p_updated_idx) WITH ORDINALITY AS d(ack_token, updated_idx, n)) d
  JOIN record_versions v ON v.stream_id = p_stream_id AND v.updated_idx = d.updated_idx
  UNION ALL
  SELECT 1, d.n, (d.n - 1)::integer, NULL::uuid, v.sync_id, v.collection_id, v.upstream_id, v.updated_idx,
    syncline_event_json(v.sync_id, v.collection_id, v.upstream_id, v.updated_idx, v.upstream_created_at, v.upstream_updated_at, v.deleted, v.data,
      v.action, v.changes, v.changed_at)
  FROM consumer_lease_batches b
  CROSS JOIN LATERAL unnest(b.updated_idx) WITH ORDINALITY AS d(updated_idx, n)
  JOIN record_versions v ON v.stream_id = p_stream_id AND v.updated_idx = d.updated_idx
  WHERE p_batch_id IS NOT NULL AND b.consumer_id = p_consumer_id AND b.batch_id = p_batch_id
  ) x ORDER BY x.part, x.n;
END;
$$;
