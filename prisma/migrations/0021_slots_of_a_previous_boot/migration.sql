-- Found by the crash part of the reliability suite (docs/RELIABILITY.md, `restart-same-instance-slots`):
-- an instance id is `<hostname>:<PORT>`, so a server restarted on its port after a SIGKILL is the
-- same instance with a new boot. The request slots its previous boot left open were counted in
-- flight for ever (the instance is alive again, its row never expires), and once they reached
-- the sync's max_concurrent_requests no request was ever sent again: every collection of the
-- sync waited in the limiter until the Stripe timeout, again and again.
-- A slot left open by an earlier boot of its instance ended when the current boot started (that
-- boot holds the port, so the earlier one was gone).
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
