-- Records past a cursor (for a consumer's sync, collections and provider filter), counted up to p_cap (NULL:
-- all of them); once the cap is reached, the number of versions appended to the stream after the
-- cursor, an upper bound (DELIVERY.md, counts). Called by syncline_consumer_counts and
-- syncline_pending_past.
--
-- Planned for each call's values (force_custom_plan): a generic plan knows neither the cursor nor
-- the LIMIT.
CREATE OR REPLACE FUNCTION syncline_pending_records(
  p_stream_id uuid, p_sync_id uuid, p_collection_ids text[], p_provider text, p_cursor bigint, p_cap integer
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
      AND (p_provider IS NULL OR split_part(r.collection_id, ':', 1) = p_provider)
    LIMIT p_cap
  ) past;
  IF p_cap IS NULL OR v_counted < p_cap THEN
    RETURN v_counted;
  END IF;
  SELECT h.last_idx - p_cursor INTO v_appended FROM stream_heads h WHERE h.stream_id = p_stream_id;
  RETURN GREATEST(v_counted, COALESCE(v_appended, 0));
END;
$$;
