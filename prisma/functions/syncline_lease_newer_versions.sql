-- The rule of an ack for a record that changed while leased (migration 0003): a due lease for its
-- new version (deliver count 0), delivered by the next /next, instead of the change being forgotten.
-- For the acked messages given: those with a token (NULL: not acked). Called by syncline_ack_messages.
-- A scalar subquery keeps each acked record one primary-key lookup.
--
-- A consumer of change events (message_kind "event", migration 0059) gets the record's next version
-- after the one acked that its event filters let through instead (each record has one version leased
-- at a time, syncline_next_events); when that version is past the cursor, the next /next drops the
-- lease and the cursor delivers it.
CREATE OR REPLACE FUNCTION syncline_lease_newer_versions(
  p_consumer_id uuid, p_sync_ids uuid[], p_collection_ids text[], p_upstream_ids text[], p_updated_idx bigint[], p_tokens uuid[]
) RETURNS void
LANGUAGE plpgsql
AS $$
DECLARE
  v_kind text;
  v_actions text[];
  v_fields text[];
BEGIN
  SELECT c.message_kind, c.event_actions, c.event_changed_fields INTO v_kind, v_actions, v_fields
  FROM consumer_cursors c WHERE c.consumer_id = p_consumer_id;
  IF v_kind = 'event' THEN
    INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
    SELECT p_consumer_id, a.sync_id, a.collection_id, a.upstream_id, a.next_idx, gen_random_uuid(), 0, now()
    FROM (
      SELECT e.*, (SELECT v.updated_idx FROM record_versions v
                   WHERE v.sync_id = e.sync_id AND v.collection_id = e.collection_id AND v.upstream_id = e.upstream_id
                     AND v.updated_idx > e.updated_idx AND syncline_event_matches(v.action, v.changes, v_actions, v_fields)
                   ORDER BY v.updated_idx LIMIT 1) AS next_idx
      FROM (SELECT DISTINCT ON (e.sync_id, e.collection_id, e.upstream_id) e.*
            FROM unnest(p_sync_ids, p_collection_ids, p_upstream_ids, p_updated_idx, p_tokens) AS e(sync_id, collection_id, upstream_id, updated_idx, token)
            WHERE e.token IS NOT NULL
            ORDER BY e.sync_id, e.collection_id, e.upstream_id, e.updated_idx DESC) e
    ) a
    WHERE a.next_idx IS NOT NULL
    ON CONFLICT DO NOTHING;
    RETURN;
  END IF;
  INSERT INTO consumer_leases (consumer_id, sync_id, collection_id, upstream_id, updated_idx, ack_token, deliver_count, deadline)
  SELECT p_consumer_id, a.sync_id, a.collection_id, a.upstream_id, a.latest_idx, gen_random_uuid(), 0, now()
  FROM (
    -- A scalar subquery keeps this a primary-key lookup per acked record.
    SELECT e.*, (SELECT r.updated_idx FROM records r
                 WHERE r.sync_id = e.sync_id AND r.collection_id = e.collection_id AND r.upstream_id = e.upstream_id) AS latest_idx
    FROM unnest(p_sync_ids, p_collection_ids, p_upstream_ids, p_updated_idx, p_tokens) AS e(sync_id, collection_id, upstream_id, updated_idx, token)
    WHERE e.token IS NOT NULL
  ) a
  WHERE a.latest_idx > a.updated_idx;
END;
$$;
