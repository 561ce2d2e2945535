-- Records past a consumer's cursor for a capped count, without counting on every call (migration
-- 0034; DELIVERY.md, counts). Records never leave a stream (a delete is a tombstone, a change moves a
-- record forward), so "at least N records were past cursor c" stays true, and at a later cursor c'
-- at least N - (c' - c) are. A count goes up to ten times the cap and leaves that mark
-- (consumer_pending_marks); while the mark says at least p_cap are past the cursor, the answer is
-- the upper bound (versions appended after the cursor) without counting. A consumer's filter never
-- changes, so a mark is per consumer; a reset moves the cursor and deletes the mark (migration
-- 0051). The mark is a hint: it is written without waiting for the WAL flush, and losing it costs
-- one count. The count is of records or of change events, as the consumer delivers
-- (syncline_pending_of, migration 0059).
CREATE OR REPLACE FUNCTION syncline_pending_past(
  p_consumer_id uuid, p_stream_id uuid, p_sync_id uuid, p_collection_ids text[], p_provider text, p_cursor bigint, p_cap integer
) RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE
  v_mark consumer_pending_marks%ROWTYPE;
  v_counted bigint;
  v_appended bigint;
BEGIN
  SELECT * INTO v_mark FROM consumer_pending_marks m WHERE m.consumer_id = p_consumer_id;
  IF NOT FOUND OR p_cursor < v_mark.cursor OR v_mark.at_least - (p_cursor - v_mark.cursor) < p_cap THEN
    v_counted := syncline_pending_of(p_consumer_id, p_stream_id, p_sync_id, p_collection_ids, p_provider, p_cursor, p_cap * 10);
    IF v_counted < p_cap THEN
      RETURN v_counted;
    END IF;
    -- A hint: losing it to a crash costs one count.
    PERFORM set_config('synchronous_commit', 'off', true);
    INSERT INTO consumer_pending_marks AS m (consumer_id, cursor, at_least) VALUES (p_consumer_id, p_cursor, v_counted)
    ON CONFLICT (consumer_id) DO UPDATE SET cursor = EXCLUDED.cursor, at_least = EXCLUDED.at_least;
  END IF;
  -- At least p_cap past the cursor: the number of versions appended after it (migration 0011).
  SELECT h.last_idx - p_cursor INTO v_appended FROM stream_heads h WHERE h.stream_id = p_stream_id;
  RETURN GREATEST(p_cap, COALESCE(v_appended, 0));
END;
$$;
