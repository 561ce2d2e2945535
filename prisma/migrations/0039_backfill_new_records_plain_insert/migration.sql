-- A backfill page whose records are all new (none of its upstream ids stored yet: a first
-- backfill) inserts them plainly instead of through INSERT … ON CONFLICT, whose conflict check
-- looked each one up in the primary key before inserting it (~10 % of PostgreSQL's CPU per page,
-- BENCHMARKS.md). The page's comparison already looked every id up, under the stream's lock
-- that every writer of the stream's records holds, so none can appear in between; if one ever
-- did, the insert fails on the primary key and the page's transaction rolls back whole.

-- syncline_project_records gains p_new: the versions are of records not stored (the caller looked).
DROP FUNCTION syncline_project_records(uuid, uuid, text, jsonb);
CREATE FUNCTION syncline_project_records(p_stream uuid, p_sync uuid, p_collection text, p_versions jsonb, p_new boolean DEFAULT false)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n integer := jsonb_array_length(p_versions);
  last bigint;
  max_idx bigint;
BEGIN
  IF n = 0 THEN
    RETURN NULL;
  END IF;
  INSERT INTO stream_heads (stream_id, last_idx) VALUES (p_stream, n)
  ON CONFLICT (stream_id) DO UPDATE SET last_idx = stream_heads.last_idx + n
  RETURNING last_idx INTO last;
  IF p_new THEN
    INSERT INTO records (sync_id, collection_id, upstream_id, stream_id, updated_idx, first_idx, data, data_hash, deleted, upstream_created_at, upstream_updated_at)
    SELECT p_sync, p_collection, v.rec->>'upstreamId', p_stream, last - n + v.ord, last - n + v.ord,
      v.rec->'data', v.rec->>'dataHash', (v.rec->>'deleted')::boolean, (v.rec->>'upstreamCreatedAt')::timestamptz, (v.rec->>'upstreamUpdatedAt')::timestamptz
    FROM jsonb_array_elements(p_versions) WITH ORDINALITY AS v(rec, ord);
    RETURN last;
  END IF;
  WITH written AS (
    INSERT INTO records (sync_id, collection_id, upstream_id, stream_id, updated_idx, first_idx, data, data_hash, deleted, upstream_created_at, upstream_updated_at)
    SELECT p_sync, p_collection, v.rec->>'upstreamId', p_stream, last - n + v.ord, last - n + v.ord,
      v.rec->'data', v.rec->>'dataHash', (v.rec->>'deleted')::boolean, (v.rec->>'upstreamCreatedAt')::timestamptz, (v.rec->>'upstreamUpdatedAt')::timestamptz
    FROM jsonb_array_elements(p_versions) WITH ORDINALITY AS v(rec, ord)
    ON CONFLICT (sync_id, collection_id, upstream_id) DO UPDATE SET
      updated_idx = EXCLUDED.updated_idx,
      data = CASE WHEN EXCLUDED.deleted AND EXCLUDED.data = '{}'::jsonb THEN records.data ELSE EXCLUDED.data END,
      data_hash = EXCLUDED.data_hash,
      deleted = EXCLUDED.deleted,
      upstream_created_at = COALESCE(EXCLUDED.upstream_created_at, records.upstream_created_at),
      upstream_updated_at = EXCLUDED.upstream_updated_at
    RETURNING updated_idx
  )
  SELECT max(w.updated_idx) INTO max_idx FROM written w;
  RETURN max_idx;
END;
$$;

-- 0023's page function, its comparison also telling whether any of the page's ids is stored.
CREATE OR REPLACE FUNCTION syncline_write_backfill_page(p_event jsonb, p_seen boolean, p_checkpoint jsonb)
RETURNS TABLE (changed integer, max_idx bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan -- migration 0038
AS $$
DECLARE
  v_sync uuid := (p_event->>'syncId')::uuid;
  v_collection text := p_event->>'collectionId';
  records_stream text := 'records-' || (p_event->>'syncId') || '-' || (p_event->>'collectionId');
  sync_stream text := 'sync-' || (p_event->>'syncId');
  versions jsonb := p_event->'records';
  changes integer[];
  any_stored boolean;
  event jsonb := p_event;
  n integer;
  appended boolean;
  top bigint;
BEGIN
  -- The positions (1-based) of the versions that are changes, in order.
  WITH v AS (
    SELECT e.rec->>'upstreamId' AS id, (e.rec->>'deleted')::boolean AS deleted, e.rec->>'dataHash' AS hash, e.ord
    FROM jsonb_array_elements(versions) WITH ORDINALITY AS e(rec, ord)
  ), latest AS (
    SELECT DISTINCT ON (v.id) v.* FROM v ORDER BY v.id, v.ord DESC
  ), compared AS (
    SELECT l.ord, s.data_hash IS NOT NULL AS stored,
      CASE WHEN s.data_hash IS NULL THEN NOT l.deleted ELSE s.data_hash <> l.hash OR s.deleted <> l.deleted END AS change
    FROM latest l
    -- One primary-key lookup per id (LIMIT keeps the planner from hashing the whole collection).
    LEFT JOIN LATERAL (
      SELECT r.data_hash, r.deleted FROM records r
      WHERE r.sync_id = v_sync AND r.collection_id = v_collection
        AND r.upstream_id = l.id LIMIT 1
    ) s ON true
  )
  SELECT array_agg(c.ord::integer ORDER BY c.ord) FILTER (WHERE c.change), bool_or(c.stored) INTO changes, any_stored
  FROM compared c;
  n := COALESCE(array_length(changes, 1), 0);

  IF n > 0 THEN
    IF n < jsonb_array_length(versions) THEN
      versions := (SELECT jsonb_agg(versions->(o - 1) ORDER BY i) FROM unnest(changes) WITH ORDINALITY AS c(o, i));
      event := jsonb_set(p_event, '{records}', versions);
    END IF;
    SELECT a.success INTO appended FROM emt_append_to_stream(
      ARRAY[gen_random_uuid()::text], ARRAY[event], ARRAY['{}'::jsonb], ARRAY['1'], ARRAY['RecordsChanged'], ARRAY['E'],
      records_stream, 'records', NULL::bigint, 'emt:default') a;
    IF appended IS NOT TRUE THEN
      RAISE EXCEPTION 'concurrent append to %', records_stream USING ERRCODE = 'SY003';
    END IF;
    top := syncline_project_records((p_event->>'streamId')::uuid, v_sync, v_collection, versions, NOT COALESCE(any_stored, false));
  END IF;

  IF p_seen THEN
    INSERT INTO backfill_seen (sync_id, collection_id, upstream_id)
    SELECT v_sync, v_collection, e->>'upstreamId'
    FROM jsonb_array_elements(p_event->'records') e
    ON CONFLICT DO NOTHING;
  END IF;

  IF p_checkpoint IS NOT NULL THEN
    PERFORM 1 FROM emt_streams WHERE stream_id = sync_stream AND partition = 'emt:default' AND NOT is_archived FOR UPDATE;
    SELECT a.success INTO appended FROM emt_append_to_stream(
      ARRAY[gen_random_uuid()::text], ARRAY[p_checkpoint], ARRAY['{}'::jsonb], ARRAY['1'], ARRAY['BackfillPageFetched'], ARRAY['E'],
      sync_stream, 'sync', NULL::bigint, 'emt:default') a;
    IF appended IS NOT TRUE THEN
      RAISE EXCEPTION 'concurrent append to %', sync_stream USING ERRCODE = 'SY003';
    END IF;
    PERFORM syncline_project_backfill_page(p_checkpoint);
  END IF;

  RETURN QUERY SELECT n, top;
END;
$$;
