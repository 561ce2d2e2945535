-- One backfill page's writes, after the lock and the lease check (syncline_append_backfill_pages):
-- - the page's real changes, appended as one RecordsChanged event with Emmett's emt_append_to_stream
--   and projected (syncline_project_records). p_event is the RecordsChanged data of the whole page:
--   appended as it came when every version is a change, else with `records` narrowed to the changes;
-- - the page's ids stored for the backfill scan (p_seen);
-- - the BackfillPageFetched checkpoint (p_checkpoint, NULL on a backfill's last page) appended to the
--   sync's stream, whose row is locked first, and projected (syncline_project_backfill_page).
-- Returns the number of versions appended and their highest updated_idx.
--
-- The `compared` step is the rule of src/domain/records/changed-records.ts (changedRecords): each
-- id's last version in the page, in the order of those last versions, unless identical to the
-- stored one by hash and deleted flag; a delete of a record never stored is dropped. The two are
-- held to the same answers by test/records/changed-records-rule.int.spec.ts. Each id is one
-- primary-key lookup (LIMIT keeps the planner from hashing the whole collection). The comparison
-- also tells whether any id is stored: when none is, the records are inserted plainly (p_new of
-- syncline_project_records, migration 0039).
--
-- Generic plans (force_generic_plan, migration 0038): planned with the sync's id as a constant, a
-- sync the statistics do not know yet (created after the last ANALYZE of records) is estimated at
-- one record, which makes records_sync_idx look cheaper than the primary key, and each lookup read
-- every record of the sync written so far. A generic plan never sees the id.
CREATE OR REPLACE FUNCTION syncline_write_backfill_page(p_event jsonb, p_seen boolean, p_checkpoint jsonb)
RETURNS TABLE (changed integer, max_idx bigint)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
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
