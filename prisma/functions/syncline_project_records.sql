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
--
-- Every version is also written to record_versions (migration 0059, change events), with its action
-- and, for an update, the previous values of the data fields it changed: the stored row before this
-- statement (`old`, read in the statement's snapshot, before the upsert) is the previous version.
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
    INSERT INTO record_versions (stream_id, updated_idx, sync_id, collection_id, upstream_id, first_idx, action, changes, data, deleted, upstream_created_at, upstream_updated_at)
    SELECT p_stream, last - n + v.ord, p_sync, p_collection, v.rec->>'upstreamId', last - n + v.ord,
      CASE WHEN (v.rec->>'deleted')::boolean THEN 'deleted' ELSE 'inserted' END, NULL,
      v.rec->'data', (v.rec->>'deleted')::boolean, (v.rec->>'upstreamCreatedAt')::timestamptz, (v.rec->>'upstreamUpdatedAt')::timestamptz
    FROM jsonb_array_elements(p_versions) WITH ORDINALITY AS v(rec, ord);
    RETURN last;
  END IF;
  WITH old AS (
    SELECT r.upstream_id, r.data, r.deleted FROM records r
    WHERE r.sync_id = p_sync AND r.collection_id = p_collection
      AND r.upstream_id IN (SELECT v.rec->>'upstreamId' FROM jsonb_array_elements(p_versions) v(rec))
  ), written AS (
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
    RETURNING records.upstream_id, records.updated_idx, records.first_idx, records.data, records.deleted,
      records.upstream_created_at, records.upstream_updated_at
  ), versions AS (
    INSERT INTO record_versions (stream_id, updated_idx, sync_id, collection_id, upstream_id, first_idx, action, changes, data, deleted, upstream_created_at, upstream_updated_at)
    SELECT p_stream, w.updated_idx, p_sync, p_collection, w.upstream_id, COALESCE(w.first_idx, 0),
      CASE WHEN w.deleted THEN 'deleted' WHEN o.upstream_id IS NULL OR o.deleted THEN 'inserted' ELSE 'updated' END,
      CASE WHEN NOT w.deleted AND o.upstream_id IS NOT NULL AND NOT o.deleted THEN syncline_data_changes(o.data, w.data) END,
      w.data, w.deleted, w.upstream_created_at, w.upstream_updated_at
    FROM written w LEFT JOIN old o ON o.upstream_id = w.upstream_id
    RETURNING 1
  )
  SELECT max(w.updated_idx) INTO max_idx FROM written w;
  RETURN max_idx;
END;
$$;
