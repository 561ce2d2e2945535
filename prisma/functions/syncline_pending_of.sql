-- A consumer's messages past a cursor, counted up to p_cap (NULL: all): its records
-- (syncline_pending_records) or, for a consumer of change events (migration 0059), the versions
-- its event filters let through; past the cap, the versions appended after the cursor, an upper
-- bound. Called by syncline_consumer_counts and syncline_pending_past.
CREATE OR REPLACE FUNCTION syncline_pending_of(
  p_consumer_id uuid, p_stream_id uuid, p_sync_id uuid, p_collection_ids text[], p_provider text, p_cursor bigint, p_cap integer
) RETURNS bigint
LANGUAGE plpgsql STABLE
SET plan_cache_mode = force_custom_plan
AS $$
DECLARE
  v_cursor consumer_cursors%ROWTYPE;
  v_counted bigint;
  v_appended bigint;
BEGIN
  SELECT * INTO v_cursor FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id;
  IF NOT FOUND OR v_cursor.message_kind <> 'event' THEN
    RETURN syncline_pending_records(p_stream_id, p_sync_id, p_collection_ids, p_provider, p_cursor, p_cap);
  END IF;
  SELECT count(*) INTO v_counted FROM (
    SELECT 1 FROM record_versions v
    WHERE v.stream_id = p_stream_id AND v.updated_idx > p_cursor
      AND (p_sync_id IS NULL OR v.sync_id = p_sync_id) AND (p_collection_ids IS NULL OR v.collection_id = ANY(p_collection_ids))
      AND (p_provider IS NULL OR split_part(v.collection_id, ':', 1) = p_provider)
      AND syncline_event_matches(v.action, v.changes, v_cursor.event_actions, v_cursor.event_changed_fields)
    LIMIT p_cap
  ) past;
  IF p_cap IS NULL OR v_counted < p_cap THEN
    RETURN v_counted;
  END IF;
  SELECT h.last_idx - p_cursor INTO v_appended FROM stream_heads h WHERE h.stream_id = p_stream_id;
  RETURN GREATEST(v_counted, COALESCE(v_appended, 0));
END;
$$;
