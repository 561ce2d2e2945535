-- A change event as the JSON text consumers of message_kind "event" receive (docs/DELIVERY.md,
-- "Change events"): {"action", "changes", "record" (DESIGN.md §2, syncline_record_json), "occurred_at"
-- (when Syncline recorded the version)}. Built by PostgreSQL, like a record's text, from a row of
-- record_versions (migration 0059).
CREATE OR REPLACE FUNCTION syncline_event_json(
  p_sync_id uuid, p_collection_id text, p_upstream_id text, p_updated_idx bigint,
  p_upstream_created_at timestamptz, p_upstream_updated_at timestamptz, p_deleted boolean, p_data jsonb,
  p_action text, p_changes jsonb, p_changed_at timestamptz
) RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT concat(
    '{"action":"', p_action, '","changes":', COALESCE(p_changes::text, 'null'),
    ',"record":', syncline_record_json(p_sync_id, p_collection_id, p_upstream_id, p_updated_idx, p_upstream_created_at, p_upstream_updated_at, p_deleted, p_data),
    ',"occurred_at":', to_json(to_char(p_changed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, '}')
$$;
