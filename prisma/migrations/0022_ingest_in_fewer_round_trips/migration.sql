-- Ingest in fewer round trips. A backfill page written by one statement (one round trip, its own transaction) instead of
-- eight statements between BEGIN and COMMIT: src/commands/records.ts appendBackfillPage.
-- The two projections it runs are the very functions the inline projections call
-- (src/projections/records.ts, src/projections/syncs.ts), so a rebuild writes the same rows.

-- Records projection of one RecordsChanged batch (its `records` array): the latest version per
-- key, each change with the next updated_idx of its stream. The stream head row stays locked
-- until the appending transaction commits (DESIGN.md §2). Returns the batch's highest idx.
CREATE FUNCTION syncline_project_records(p_stream uuid, p_sync uuid, p_collection text, p_versions jsonb)
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
  n integer := jsonb_array_length(p_versions);
  max_idx bigint;
BEGIN
  IF n = 0 THEN
    RETURN NULL;
  END IF;
  WITH head AS (
    INSERT INTO stream_heads (stream_id, last_idx) VALUES (p_stream, n)
    ON CONFLICT (stream_id) DO UPDATE SET last_idx = stream_heads.last_idx + n
    RETURNING last_idx
  ), written AS (
    INSERT INTO records (sync_id, collection_id, upstream_id, stream_id, updated_idx, data, data_hash, deleted, upstream_created_at, upstream_updated_at)
    SELECT p_sync, p_collection, v.rec->>'upstreamId', p_stream, (SELECT last_idx FROM head) - n + v.ord, v.rec->'data', v.rec->>'dataHash',
      (v.rec->>'deleted')::boolean, (v.rec->>'upstreamCreatedAt')::timestamptz, (v.rec->>'upstreamUpdatedAt')::timestamptz
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

-- Sync status projection of a BackfillPageFetched checkpoint (its data). Raises SY002 when the
-- run is not the sync's current one (other generation, collection no longer synced): the
-- appending transaction rolls back (StaleRunError in the server).
CREATE FUNCTION syncline_project_backfill_page(p_event jsonb)
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

-- One backfill page, in the order the server's transaction used to run it:
--   the stream's advisory lock (p_lock_key, NULL where one backend is the only writer) and lz4
--   TOAST compression; the sync lease (p_lease_owner/p_lease_token, NULL without leases),
--   share-locked until commit, else SY001; the page's real changes (changedRecords in
--   src/domain/records/changed-records.ts: each id's last version in the batch, in the order of
--   those last versions, unless identical to the stored one by hash and deleted flag; a delete of
--   a record never stored dropped) appended as one RecordsChanged event with Emmett's
--   emt_append_to_stream and projected; the page's ids stored for the backfill scan (p_seen);
--   the BackfillPageFetched checkpoint (p_checkpoint, NULL on the last page) appended to the
--   sync's stream, whose row is locked first, and projected.
-- p_event is the RecordsChanged data of the whole page (syncId, streamId, collectionId, source,
-- records): when every version is a change it is appended as it came, else with `records`
-- narrowed to the changes.
-- Called as a statement of its own, it is one transaction: all of it commits, or nothing.
-- Returns the number of versions appended and their highest updated_idx.
CREATE FUNCTION syncline_append_backfill_page(
  p_lock_key text, p_lz4 boolean, p_lease_owner text, p_lease_token bigint, p_event jsonb, p_seen boolean, p_checkpoint jsonb
) RETURNS TABLE (changed integer, max_idx bigint)
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

-- syncline_take_request_slot (migration 0020) for up to p_count slots at once, after stamping
-- the slots of p_finished (requests whose answers are in: stamped now, later than they arrived,
-- which is the safe side). The same advisory lock, the same window: every slot taken is counted
-- (in flight until stamped), so several taken at once never exceed p_allowed in a window nor
-- p_max_concurrent in flight. Returns the slots taken (NULL when none) and, when none, how long
-- to wait as syncline_take_request_slot does (src/sync/http/shared-rate-limiter.ts).
CREATE FUNCTION syncline_take_request_slots(
  p_sync uuid, p_owner text, p_allowed integer, p_window_ms double precision, p_max_concurrent integer, p_count integer, p_finished bigint[]
) RETURNS TABLE (slot_ids bigint[], wait_ms double precision)
LANGUAGE plpgsql AS $$
DECLARE
  t timestamptz;
  win interval := make_interval(secs => p_window_ms / 1000.0);
  paused timestamptz;
  in_flight integer;
  used integer;
  m integer;
  freeing timestamptz;
  new_ids bigint[];
BEGIN
  PERFORM pg_advisory_xact_lock(hashtextextended('syncline:rate-limit:' || p_sync::text, 0));
  IF cardinality(p_finished) > 0 THEN
    UPDATE sync_request_slots SET finished_at = clock_timestamp() WHERE id = ANY(p_finished) AND finished_at IS NULL;
  END IF;
  t := clock_timestamp();
  SELECT s.paused_until INTO paused FROM sync_rate_limit_state s WHERE s.sync_id = p_sync;
  IF paused IS NOT NULL AND paused > t THEN
    RETURN QUERY SELECT NULL::bigint[], GREATEST(1, extract(epoch FROM paused - t) * 1000)::double precision;
    RETURN;
  END IF;
  DELETE FROM sync_request_slots r USING syncline_slot_ends(p_sync, t) e WHERE r.id = e.slot AND e.ended <= t - win;
  SELECT count(*) FILTER (WHERE e.ended IS NULL), count(*) FILTER (WHERE e.ended IS NULL OR e.ended > t - win)
    INTO in_flight, used FROM syncline_slot_ends(p_sync, t) e;
  IF p_max_concurrent > 0 AND in_flight >= p_max_concurrent THEN
    RETURN QUERY SELECT NULL::bigint[], -1::double precision;
    RETURN;
  END IF;
  IF used < p_allowed THEN
    m := LEAST(GREATEST(p_count, 1), p_allowed - used, CASE WHEN p_max_concurrent > 0 THEN p_max_concurrent - in_flight ELSE p_allowed END);
    WITH inserted AS (
      INSERT INTO sync_request_slots (sync_id, owner, started_at) SELECT p_sync, p_owner, t FROM generate_series(1, m) RETURNING id
    )
    SELECT array_agg(id ORDER BY id) INTO new_ids FROM inserted;
    RETURN QUERY SELECT new_ids, 0::double precision;
    RETURN;
  END IF;
  -- The oldest ended slots leave the window first; in-flight ones only free on release.
  SELECT e.ended INTO freeing FROM syncline_slot_ends(p_sync, t) e
    WHERE e.ended IS NOT NULL AND e.ended > t - win ORDER BY e.ended OFFSET (used - p_allowed) LIMIT 1;
  IF freeing IS NULL THEN
    RETURN QUERY SELECT NULL::bigint[], -1::double precision;
    RETURN;
  END IF;
  RETURN QUERY SELECT NULL::bigint[], GREATEST(1, extract(epoch FROM freeing + win - t) * 1000)::double precision;
END;
$$;
