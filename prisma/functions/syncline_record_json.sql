-- A record as the JSON text of DESIGN.md §2 (the keys and order of presentRecordRow), built by
-- PostgreSQL so that a page of records is not parsed and serialized again by the server: the
-- `record` of a /next message (the server writes the ack token around it, src/consumers/delivery.ts)
-- and the records of REST and GraphQL record pages (src/queries/record-pages.ts). Timestamps are UTC
-- with milliseconds, as the server writes them.
CREATE OR REPLACE FUNCTION syncline_record_json(
  p_sync_id uuid, p_collection_id text, p_upstream_id text, p_updated_idx bigint,
  p_upstream_created_at timestamptz, p_upstream_updated_at timestamptz, p_deleted boolean, p_data jsonb
) RETURNS text
LANGUAGE sql STABLE
AS $$
  SELECT concat(
    '{"sync_id":"', p_sync_id,
    '","collection_id":', to_json(p_collection_id), ',"upstream_id":', to_json(p_upstream_id),
    ',"updated_idx":', p_updated_idx,
    ',"upstream_created_at":', COALESCE(to_json(to_char(p_upstream_created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null'),
    ',"upstream_updated_at":', COALESCE(to_json(to_char(p_upstream_updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text, 'null'),
    ',"deleted":', CASE WHEN p_deleted THEN 'true' ELSE 'false' END,
    ',"data":', p_data::text, '}')
$$;
