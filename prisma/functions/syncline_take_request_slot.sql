-- Takes one request slot of a sync if its limit allows one now, atomically across processes (an
-- advisory lock per sync). Returns the slot id, or NULL and how long to wait: ms until a slot leaves
-- the window or an upstream pause ends, -1 when only a release can free one. Slot ends as
-- syncline_slot_ends tells them.
--
-- The server calls syncline_take_request_slots (several slots per call); this one-slot form is kept
-- for a server of a release before migration 0022 running beside a newer one on the same database,
-- and test/syncs/shared-rate-limit-restart.int.spec.ts uses it.
CREATE OR REPLACE FUNCTION syncline_take_request_slot(p_sync uuid, p_owner text, p_allowed integer, p_window_ms double precision, p_max_concurrent integer)
RETURNS TABLE (slot_id bigint, wait_ms double precision)
LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  win interval := make_interval(secs => p_window_ms / 1000.0);
  paused timestamptz;
  in_flight integer;
  used integer;
  freeing timestamptz;
  new_id bigint;
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('syncline:rate-limit:' || p_sync::text, 0));
  t := clock_timestamp();
  SELECT s.paused_until INTO paused FROM sync_rate_limit_state s WHERE s.sync_id = p_sync;
  IF paused IS NOT NULL AND paused > t THEN
    RETURN QUERY SELECT NULL::bigint, GREATEST(1, extract(epoch FROM paused - t) * 1000)::double precision;
    RETURN;
  END IF;
  DELETE FROM sync_request_slots r USING syncline_slot_ends(p_sync, t) e WHERE r.id = e.slot AND e.ended <= t - win;
  SELECT count(*) FILTER (WHERE e.ended IS NULL), count(*) FILTER (WHERE e.ended IS NULL OR e.ended > t - win)
    INTO in_flight, used FROM syncline_slot_ends(p_sync, t) e;
  IF p_max_concurrent > 0 AND in_flight >= p_max_concurrent THEN
    RETURN QUERY SELECT NULL::bigint, -1::double precision;
    RETURN;
  END IF;
  IF used < p_allowed THEN
    INSERT INTO sync_request_slots (sync_id, owner, started_at) VALUES (p_sync, p_owner, t) RETURNING id INTO new_id;
    RETURN QUERY SELECT new_id, 0::double precision;
    RETURN;
  END IF;
  -- The oldest ended slots leave the window first; in-flight ones only free on release.
  SELECT e.ended INTO freeing FROM syncline_slot_ends(p_sync, t) e
    WHERE e.ended IS NOT NULL AND e.ended > t - win ORDER BY e.ended OFFSET (used - p_allowed) LIMIT 1;
  IF freeing IS NULL THEN
    RETURN QUERY SELECT NULL::bigint, -1::double precision;
    RETURN;
  END IF;
  RETURN QUERY SELECT NULL::bigint, GREATEST(1, extract(epoch FROM freeing + win - t) * 1000)::double precision;
END;
$$;
