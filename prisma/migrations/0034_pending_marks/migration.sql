-- `X-Num-Pending` of /next without a scan of 1,000 records on every call (DELIVERY.md, Counts).
--
-- The header is exact up to 1,000 records past the cursor and an upper bound beyond (migration
-- 0011); telling the two apart counted up to 1,000 records on every call, ~12% of PostgreSQL's
-- time per batch in `npm run bench`, consume. Records are never removed from a stream (a delete
-- is a tombstone, a change moves a record forward), so "at least N records were past cursor c"
-- stays true, and at a later cursor c' at least N - (c' - c) are. A count now goes up to 10,000
-- and leaves that mark; while the mark says at least 1,000 are past the cursor, a call answers
-- the upper bound without counting. A consumer's filter never changes, so a mark is per consumer.
CREATE TABLE consumer_pending_marks (
  consumer_id uuid PRIMARY KEY,
  cursor bigint NOT NULL,
  at_least bigint NOT NULL
);

CREATE FUNCTION syncline_pending_past(
  p_consumer_id uuid, p_stream_id uuid, p_sync_id uuid, p_collection_ids text[], p_cursor bigint, p_cap integer
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
    v_counted := syncline_pending_records(p_stream_id, p_sync_id, p_collection_ids, p_cursor, p_cap * 10);
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

-- Migration 0031's counts, with the marks for a capped count.
DROP FUNCTION syncline_consumer_counts(uuid, uuid, uuid, text[], bigint, integer);
CREATE FUNCTION syncline_consumer_counts(
  p_consumer_id uuid, p_stream_id uuid, p_sync_id uuid, p_collection_ids text[], p_cursor bigint, p_cap integer
) RETURNS TABLE (num_pending bigint, num_ack_pending bigint, num_dead bigint)
LANGUAGE plpgsql
AS $$
DECLARE
  v_pending bigint;
BEGIN
  IF p_cursor IS NULL THEN
    v_pending := 0;
  ELSIF p_cap IS NULL THEN
    v_pending := syncline_pending_records(p_stream_id, p_sync_id, p_collection_ids, p_cursor, NULL);
  ELSE
    v_pending := syncline_pending_past(p_consumer_id, p_stream_id, p_sync_id, p_collection_ids, p_cursor, p_cap);
  END IF;
  RETURN QUERY SELECT v_pending + lc.waiting, lc.ack_pending, lc.dead FROM syncline_lease_counts(p_consumer_id) lc;
END;
$$;
