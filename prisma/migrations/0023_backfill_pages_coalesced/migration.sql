-- Backfill pages coalesced: the pages read ahead while the previous write ran, written by one
-- statement (one transaction, one lock, one commit) instead of one statement each:
-- src/commands/records.ts appendBackfillPages. Each page keeps its own RecordsChanged event and
-- its own BackfillPageFetched checkpoint, in page order, so the event log is the one a statement
-- per page writes; only the commits are fewer.

-- One page's writes, after the lock and the lease check (syncline_append_backfill_pages): the
-- body of migration 0022's syncline_append_backfill_page, unchanged (its comment tells the rules).
CREATE FUNCTION syncline_write_backfill_page(p_event jsonb, p_seen boolean, p_checkpoint jsonb)
RETURNS TABLE (changed integer, max_idx bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_sync uuid := (p_event->>'syncId')::uuid;
  v_collection text := p_event->>'collectionId';
  records_stream text := 'records-' || (p_event->>'syncId') || '-' || (p_event->>'collectionId');
  sync_stream text := 'sync-' || (p_event->>'syncId');
  versions jsonb := p_event->'records';
  changes integer[];
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
  )
  SELECT array_agg(l.ord::integer ORDER BY l.ord) INTO changes
  FROM latest l
  -- One primary-key lookup per id (LIMIT keeps the planner from hashing the whole collection).
  LEFT JOIN LATERAL (
    SELECT r.data_hash, r.deleted FROM records r
    WHERE r.sync_id = v_sync AND r.collection_id = v_collection
      AND r.upstream_id = l.id LIMIT 1
  ) s ON true
  WHERE CASE WHEN s.data_hash IS NULL THEN NOT l.deleted ELSE s.data_hash <> l.hash OR s.deleted <> l.deleted END;
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
    top := syncline_project_records((p_event->>'streamId')::uuid, v_sync, v_collection, versions);
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

-- Consecutive backfill pages of one collection in one transaction: the stream's advisory lock
-- (p_lock_key, NULL where one backend is the only writer), lz4 TOAST compression and the sync
-- lease check (SY001) once, then each page in order (syncline_write_backfill_page): p_events is
-- a JSON array of the pages' RecordsChanged data, p_checkpoints one of their BackfillPageFetched
-- data (null for the last page of a backfill, whose checkpoint waits for the scan's completion).
-- A raise in any page (stale run SY002, concurrent append SY003) rolls all of them back: the
-- pages commit together or not at all, so a crash or refusal leaves every checkpoint of the
-- group unstored and the run resumes at the group's first page.
-- Returns the number of versions appended and their highest updated_idx.
CREATE FUNCTION syncline_append_backfill_pages(
  p_lock_key text, p_lz4 boolean, p_lease_owner text, p_lease_token bigint, p_events jsonb, p_seen boolean, p_checkpoints jsonb
) RETURNS TABLE (changed integer, max_idx bigint)
LANGUAGE plpgsql AS $$
DECLARE
  v_sync uuid := (p_events->0->>'syncId')::uuid;
  total integer := 0;
  top bigint;
  page record;
BEGIN
  IF jsonb_array_length(p_events) <> jsonb_array_length(p_checkpoints) THEN
    RAISE EXCEPTION 'syncline_append_backfill_pages: % pages, % checkpoints', jsonb_array_length(p_events), jsonb_array_length(p_checkpoints);
  END IF;
  IF p_lock_key IS NOT NULL THEN
    PERFORM pg_advisory_xact_lock(hashtextextended(p_lock_key, 0));
  END IF;
  IF p_lz4 THEN
    PERFORM set_config('default_toast_compression', 'lz4', true);
  END IF;
  IF p_lease_owner IS NOT NULL THEN
    PERFORM 1 FROM sync_leases l
      WHERE l.sync_id = v_sync AND l.owner = p_lease_owner AND l.token = p_lease_token
        AND l.expires_at > clock_timestamp() FOR SHARE;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'lease of sync % lost', v_sync USING ERRCODE = 'SY001';
    END IF;
  END IF;
  FOR i IN 0 .. jsonb_array_length(p_events) - 1 LOOP
    SELECT * INTO page FROM syncline_write_backfill_page(p_events->i, p_seen, NULLIF(p_checkpoints->i, 'null'::jsonb));
    total := total + page.changed;
    top := GREATEST(top, page.max_idx);
  END LOOP;
  RETURN QUERY SELECT total, top;
END;
$$;

-- Migration 0022's one-page function, for a server of that version still running beside this one.
CREATE OR REPLACE FUNCTION syncline_append_backfill_page(
  p_lock_key text, p_lz4 boolean, p_lease_owner text, p_lease_token bigint, p_event jsonb, p_seen boolean, p_checkpoint jsonb
) RETURNS TABLE (changed integer, max_idx bigint)
LANGUAGE sql AS $$
  SELECT * FROM syncline_append_backfill_pages(p_lock_key, p_lz4, p_lease_owner, p_lease_token,
    jsonb_build_array(p_event), p_seen, jsonb_build_array(p_checkpoint));
$$;
