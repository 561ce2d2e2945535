-- The shared rate limiter's take (src/sync/http/shared-rate-limiter.ts): up to p_count request slots
-- of a sync at once, after stamping the slots of p_finished (requests whose answers are in: stamped
-- now, later than they arrived, which is the safe side). Returns the slots taken, or NULL and how
-- long to wait (ms until a slot leaves the window or an upstream pause ends; -1 when only a release
-- can free one).
--
-- Why this shape: one advisory lock per sync makes a take atomic across processes. Every slot taken
-- counts in the window from the moment it is taken (in flight until stamped), so several taken at
-- once never exceed p_allowed in a window nor p_max_concurrent in flight; taking several per call
-- and stamping answers with the next take cut the limiter's round trips (migration 0022,
-- docs/BENCHMARKS.md). A slot ends as syncline_slot_ends tells.
CREATE OR REPLACE FUNCTION syncline_take_request_slots(
  p_sync uuid, p_owner text, p_allowed integer, p_window_ms double precision, p_max_concurrent integer, p_count integer, p_finished bigint[]
) RETURNS TABLE (slot_ids bigint[], wait_ms double precision)
LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  win interval := make_interval(secs => p_window_ms / 1000.0);
  paused timestamptz;
  in_flight integer;
  used integer;
  m integer;
  freeing timestamptz;
  new_ids bigint[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('syncline:rate-limit:' || p_sync::text, 0));
  IF cardinality(p_finished) > 0 THEN
    UPDATE sync_request_slots SET finished_at = clock_timestamp() WHERE id = ANY(p_finished) AND finished_at IS NULL;
  END IF;
  t := clock_timestamp();
  SELECT s.paused_until INTO paused FROM sync_rate_limit_state s WHERE s.sync_id = p_sync;
  IF paused IS NOT NULL AND paused > t THEN
    RETURN QUERY SELECT NULL::bigint[], GREATEST(1, extract(epoch FROM paused - t) * 1000)::double precision;
    RETURN;
  END IF;
  DELETE FROM sync_request_slots r USING syncline_slot_ends(p_sync, t) e WHERE r.id = e.slot AND e.ended <= t - win;
  SELECT count(*) FILTER (WHERE e.ended IS NULL), count(*) FILTER (WHERE e.ended IS NULL OR e.ended > t - win)
    INTO in_flight, used FROM syncline_slot_ends(p_sync, t) e;
  IF p_max_concurrent > 0 AND in_flight >= p_max_concurrent THEN
    RETURN QUERY SELECT NULL::bigint[], -1::double precision;
    RETURN;
  END IF;
  IF used < p_allowed THEN
    m := LEAST(GREATEST(p_count, 1), p_allowed - used, CASE WHEN p_max_concurrent > 0 THEN p_max_concurrent - in_flight ELSE p_allowed END);
    WITH inserted AS (
      INSERT INTO sync_request_slots (sync_id, owner, started_at) SELECT p_sync, p_owner, t FROM generate_series(1, m) RETURNING id
    )
    SELECT array_agg(id ORDER BY id) INTO new_ids FROM inserted;
    RETURN QUERY SELECT new_ids, 0::double precision;
    RETURN;
  END IF;
  -- The oldest ended slots leave the window first; in-flight ones only free on release.
  SELECT e.ended INTO freeing FROM syncline_slot_ends(p_sync, t) e
    WHERE e.ended IS NOT NULL AND e.ended > t - win ORDER BY e.ended OFFSET (used - p_allowed) LIMIT 1;
  IF freeing IS NULL THEN
    RETURN QUERY SELECT NULL::bigint[], -1::double precision;
    RETURN;
  END IF;
  RETURN QUERY SELECT NULL::bigint[], GREATEST(1, extract(epoch FROM freeing + win - t) * 1000)::double precision;
END;
$$;
