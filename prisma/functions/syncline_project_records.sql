-- The records projection of one RecordsChanged batch (its `records` array), used by the inline
-- projection (src/projections/records.ts) and by the backfill page writer
-- (syncline_write_backfill_page), so a rebuild writes the very rows the hot path wrote. Each version
-- gets the next updated_idx of its stream; the stream_heads row stays locked until the appending
-- transaction commits, so idx order is commit order (DESIGN.md §2). Returns the batch's highest idx.
--
-- changed_at (migration 0045) is the writing transaction's time: inserts take the column's default.
-- A tombstone without data keeps the stored data; a missing upstream_created_at keeps the stored one.
-- p_new (migration 0039): the caller looked every id up and none is stored, so the versions are
-- inserted plainly; INSERT … ON CONFLICT looked each one up again before inserting it. The caller
-- holds the stream's lock, which every writer of its records holds, so no id can appear in between;
-- if one ever did, the primary key refuses the insert and the transaction rolls back whole.
CREATE OR REPLACE FUNCTION syncline_project_records(p_stream uuid, p_sync uuid, p_collection text, p_versions jsonb, p_new boolean DEFAULT false)
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
      upstream_updated_at = EXCLUDED.upstream_updated_at,
      changed_at = now()
    RETURNING updated_idx
  )
  SELECT max(w.updated_idx) INTO max_idx FROM written w;
  RETURN max_idx;
END;
$$;
