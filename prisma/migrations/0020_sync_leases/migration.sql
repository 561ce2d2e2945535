-- Several Syncline processes on one PostgreSQL (docs/DEPLOY.md). Runtime coordination state, not
-- projections: nothing here is rebuilt from the event log. Unused with the embedded database.

-- One row per server process ("instance"), renewed by its heartbeat. An instance whose row has
-- expired is dead: its sync leases may be taken over and its open request slots count as ended.
CREATE TABLE syncline_instances (
  instance_id text PRIMARY KEY,
  -- random per process start: tells two processes that were given the same instance id apart
  boot_id uuid NOT NULL,
  hostname text NOT NULL,
  pid integer NOT NULL,
  -- false for processes started without sync workers: they take no share of the syncs
  runs_syncs boolean NOT NULL,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL
);

-- Who runs each sync. `token` grows on every acquisition (a fencing token): a runner's appends
-- check, in their own transaction and under a share lock on this row, that its owner and token
-- are still the current ones, so a runner that lost its lease can never append.
CREATE TABLE sync_leases (
  sync_id uuid PRIMARY KEY,
  owner text NOT NULL,
  token bigint NOT NULL,
  acquired_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat_at timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at timestamptz NOT NULL
);
CREATE INDEX sync_leases_owner ON sync_leases (owner);

-- The shared rate limiter of each sync (src/sync/http/shared-rate-limiter.ts): a sliding log of
-- request slots, stamped when the answer arrived (`finished_at`; NULL while in flight), plus an
-- upstream-requested pause. Every instance's runner and mutations take their slots here.
CREATE TABLE sync_rate_limit_state (
  sync_id uuid PRIMARY KEY,
  paused_until timestamptz
);

CREATE TABLE sync_request_slots (
  id bigserial PRIMARY KEY,
  sync_id uuid NOT NULL,
  owner text NOT NULL,
  started_at timestamptz NOT NULL,
  finished_at timestamptz
);
CREATE INDEX sync_request_slots_sync ON sync_request_slots (sync_id, finished_at);

-- When each slot of a sync ended, as of `t`: its answer's time; NULL while in flight; for a slot
-- left open by a dead (expired) instance, the instance's expiry; for an unknown owner, its start.
CREATE FUNCTION syncline_slot_ends(p_sync uuid, t timestamptz)
RETURNS TABLE (slot bigint, ended timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT r.id, COALESCE(r.finished_at, CASE WHEN i.instance_id IS NULL THEN r.started_at WHEN i.expires_at < t THEN i.expires_at END)
  FROM sync_request_slots r LEFT JOIN syncline_instances i ON i.instance_id = r.owner
  WHERE r.sync_id = p_sync
$$;

-- Takes a request slot of a sync if its limit allows one now, atomically across processes (an
-- advisory lock per sync). Returns the slot id, or NULL and how long to wait: ms until a slot
-- leaves the window or an upstream pause ends, -1 when only a release can free one.
-- A slot in flight counts as "now"; one left open by a dead instance counts as ended when the
-- instance expired (it cannot have sent anything after that).
CREATE FUNCTION syncline_take_request_slot(p_sync uuid, p_owner text, p_allowed integer, p_window_ms double precision, p_max_concurrent integer)
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
