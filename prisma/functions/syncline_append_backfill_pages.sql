-- Consecutive backfill pages of one collection in one statement, so one transaction, one lock and
-- one commit (src/commands/records.ts appendBackfillPages; docs/SYNCS.md): the stream's advisory lock
-- (p_lock_key, NULL where one backend is the only writer), lz4 TOAST compression and the sync lease
-- check (SY001 when the lease is lost; p_lease_owner NULL without leases) once, then each page in
-- order (syncline_write_backfill_page). p_events is a JSON array of the pages' RecordsChanged data,
-- p_checkpoints one of their BackfillPageFetched data (null for the last page of a backfill, whose
-- checkpoint waits for the scan's completion). Returns the number of versions appended and their
-- highest updated_idx.
--
-- Each page keeps its own event and checkpoint, so the event log is the one a statement per page
-- writes; only the commits are fewer (migration 0023). A raise in any page (stale run SY002,
-- concurrent append SY003) rolls all of them back: a crash or a refusal leaves every checkpoint of
-- the group unstored, and the run resumes at the group's first page.
CREATE OR REPLACE FUNCTION syncline_append_backfill_pages(
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
