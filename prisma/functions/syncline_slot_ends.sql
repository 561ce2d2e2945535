-- When each request slot of a sync ended, as of `t` (the shared rate limiter,
-- src/sync/http/shared-rate-limiter.ts): its answer's time; NULL while in flight; for a slot left
-- open by a dead (expired) instance, the instance's expiry (it cannot have sent anything after
-- that); for an unknown owner, the slot's start; for a slot left open by an earlier boot of a live
-- instance, the current boot's start.
--
-- The last rule (migration 0021): an instance id is `<hostname>:<PORT>`, so a server restarted on
-- its port after a SIGKILL is the same instance with a new boot. The slots its previous boot left
-- open counted in flight for ever, and once they reached max_concurrent_requests the sync never sent
-- another request (found by the crash part of the reliability suite, docs/RELIABILITY.md). The new
-- boot holds the port, so the earlier one was gone when it started.
CREATE OR REPLACE FUNCTION syncline_slot_ends(p_sync uuid, t timestamptz)
RETURNS TABLE (slot bigint, ended timestamptz)
LANGUAGE sql STABLE AS $$
  SELECT r.id, COALESCE(r.finished_at, CASE
    WHEN i.instance_id IS NULL THEN r.started_at
    WHEN i.expires_at < t THEN i.expires_at
    WHEN r.started_at < i.started_at THEN i.started_at
  END)
  FROM sync_request_slots r LEFT JOIN syncline_instances i ON i.instance_id = r.owner
  WHERE r.sync_id = p_sync
$$;
