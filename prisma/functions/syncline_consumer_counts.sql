-- A consumer's counts (src/consumers/delivery.ts; DELIVERY.md, counts): records past the cursor (none
-- without a cursor; exact up to p_cap, see syncline_pending_past and syncline_pending_records) plus
-- new versions waiting behind an ack, live leases, dead leases. /next calls it after its lease
-- commit with its new cursor (migration 0031); the consumer's own answers with the stored cursor.
CREATE OR REPLACE FUNCTION syncline_consumer_counts(
  p_consumer_id uuid, p_stream_id uuid, p_sync_id uuid, p_collection_ids text[], p_provider text, p_cursor bigint, p_cap integer
) RETURNS TABLE (num_pending bigint, num_ack_pending bigint, num_dead bigint)
LANGUAGE plpgsql
AS $$
DECLARE
  v_pending bigint;
BEGIN
  IF p_cursor IS NULL THEN
    v_pending := 0;
  ELSIF p_cap IS NULL THEN
    v_pending := syncline_pending_of(p_consumer_id, p_stream_id, p_sync_id, p_collection_ids, p_provider, p_cursor, NULL);
  ELSE
    v_pending := syncline_pending_past(p_consumer_id, p_stream_id, p_sync_id, p_collection_ids, p_provider, p_cursor, p_cap);
  END IF;
  RETURN QUERY SELECT v_pending + lc.waiting, lc.ack_pending, lc.dead FROM syncline_lease_counts(p_consumer_id) lc;
END;
$$;
