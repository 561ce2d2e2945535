-- A consumer's lease counts: waiting (due leases, deliver count 0, for a version that changed behind
-- an ack), ack pending (live leases, the messages of its batches included), dead.
--
-- Why this shape: consumer_leases is a queue table (a row per delivery, deleted by its ack), so
-- between two vacuums it holds many dead rows. A bitmap scan visits every one of them on every count;
-- a plain index scan marks those it meets as killed and the next scan skips them: bitmap and
-- sequential scans are off for this function (migration 0011, with consumer_leases_dead_idx).
-- plpgsql rather than SQL: a SQL function with SET options is never inlined and was planned on every
-- call; plpgsql keeps its plans per connection (migration 0031). Batches count as their n messages
-- (migration 0032).
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
