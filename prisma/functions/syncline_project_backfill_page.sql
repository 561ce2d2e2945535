-- The sync status projection of a BackfillPageFetched checkpoint (its data), used by the inline
-- projection (src/projections/syncs.ts) and by syncline_write_backfill_page, so a rebuild writes
-- the same rows. Raises SY002 when the run is not the sync's current one (another generation, or a
-- collection no longer synced): the appending transaction rolls back (StaleRunError in the server).
CREATE OR REPLACE FUNCTION syncline_project_backfill_page(p_event jsonb)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
  next_cursor text := p_event->>'nextCursor';
BEGIN
  UPDATE sync_collections SET
    backfill_cursor = next_cursor,
    backfill_done = (next_cursor IS NULL),
    backfill_pages = backfill_pages + 1,
    backfill_records = backfill_records + (p_event->>'pageRecords')::integer,
    total_count = COALESCE((p_event->>'totalCount')::integer, total_count),
    backfill_completed_at = CASE WHEN next_cursor IS NULL THEN (p_event->>'at')::timestamptz ELSE NULL END
  WHERE sync_id = (p_event->>'syncId')::uuid AND collection_id = p_event->>'collectionId'
    AND EXISTS (SELECT 1 FROM syncs WHERE id = (p_event->>'syncId')::uuid AND generation = (p_event->>'generation')::integer);
  IF NOT FOUND THEN
    RAISE EXCEPTION 'stale run of sync %', p_event->>'syncId' USING ERRCODE = 'SY002';
  END IF;
END;
$$;
