-- Issue 28 (change events): every recorded version of every record, for consumers whose
-- message_kind is "event" (docs/DELIVERY.md, "Change events"). `records` keeps each record's latest
-- version only; `record_versions` keeps each version at its stream position, with what the event
-- message says of it: its action and the previous values of the top-level data fields it changed.
-- Written by syncline_project_records in the transaction that writes `records` (so a rebuild of the
-- read models writes it again, the same), read by position like `records`.
CREATE TABLE record_versions (
  stream_id uuid NOT NULL,
  updated_idx bigint NOT NULL,
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  -- the record's first version (records.first_idx): only a version of a record first written at or
  -- behind a consumer's cursor can have a lease of its record live
  first_idx bigint NOT NULL,
  -- inserted (first version, or again after a delete) | updated | deleted
  action text NOT NULL,
  -- updated: {field: previous value} of the top-level data fields that differ; else null
  changes jsonb,
  -- the version's data (a tombstone without data: the last known data, as in `records`)
  data jsonb NOT NULL,
  deleted boolean NOT NULL,
  upstream_created_at timestamptz(3),
  upstream_updated_at timestamptz(3),
  changed_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (stream_id, updated_idx)
);
-- A record's versions in order (an ack of an event looks up the next one).
CREATE INDEX record_versions_key_idx ON record_versions (sync_id, collection_id, upstream_id, updated_idx);

-- The history so far, from the event log: the versions of each RecordsChanged event got the next
-- positions of their stream, in the log's global order (as the records projection and a rebuild
-- assign them), so each version's position is a running sum.
DO $$
BEGIN
  IF to_regclass('emt_messages') IS NOT NULL THEN
    WITH ev AS (
      SELECT (m.message_data->>'streamId')::uuid AS stream_id, (m.message_data->>'syncId')::uuid AS sync_id,
        m.message_data->>'collectionId' AS collection_id, m.message_data->'records' AS recs, m.created,
        sum(jsonb_array_length(m.message_data->'records')) OVER (PARTITION BY m.message_data->>'streamId' ORDER BY m.global_position) AS last
      FROM emt_messages m
      WHERE m.message_type = 'RecordsChanged' AND m.message_kind = 'E' AND NOT m.is_archived
        AND jsonb_array_length(m.message_data->'records') > 0
    ), v AS (
      SELECT ev.stream_id, ev.last - jsonb_array_length(ev.recs) + e.ord AS updated_idx, ev.sync_id, ev.collection_id,
        e.rec->>'upstreamId' AS upstream_id, e.rec->'data' AS data, (e.rec->>'deleted')::boolean AS deleted,
        (e.rec->>'upstreamCreatedAt')::timestamptz AS upstream_created_at, (e.rec->>'upstreamUpdatedAt')::timestamptz AS upstream_updated_at,
        ev.created AS changed_at
      FROM ev CROSS JOIN LATERAL jsonb_array_elements(ev.recs) WITH ORDINALITY AS e(rec, ord)
    ), k AS (
      SELECT v.*, lag(v.data) OVER w AS prev_data, lag(v.deleted) OVER w AS prev_deleted, first_value(v.updated_idx) OVER w AS first_idx
      FROM v WINDOW w AS (PARTITION BY v.sync_id, v.collection_id, v.upstream_id ORDER BY v.updated_idx)
    )
    INSERT INTO record_versions (stream_id, updated_idx, sync_id, collection_id, upstream_id, first_idx, action, changes, data, deleted,
      upstream_created_at, upstream_updated_at, changed_at)
    SELECT k.stream_id, k.updated_idx, k.sync_id, k.collection_id, k.upstream_id, k.first_idx,
      CASE WHEN k.deleted THEN 'deleted' WHEN k.prev_data IS NULL OR k.prev_deleted THEN 'inserted' ELSE 'updated' END,
      CASE WHEN NOT k.deleted AND k.prev_data IS NOT NULL AND NOT k.prev_deleted THEN (
        -- The previous values of the top-level fields that differ (as syncline_data_changes in
        -- prisma/functions/, which migrations may not define: the functions are installed after them).
        SELECT COALESCE(jsonb_object_agg(d.key, k.prev_data->d.key), '{}'::jsonb)
        FROM (SELECT jsonb_object_keys(k.prev_data) AS key UNION SELECT jsonb_object_keys(k.data)) d
        WHERE (k.prev_data->d.key) IS DISTINCT FROM (k.data->d.key)) END,
      CASE WHEN k.deleted AND k.data = '{}'::jsonb AND k.prev_data IS NOT NULL THEN k.prev_data ELSE k.data END,
      k.deleted, k.upstream_created_at, k.upstream_updated_at, k.changed_at
    FROM k;
  END IF;
END;
$$;

-- What a consumer delivers: records (each record's latest version) or events (every version).
-- Every kind keeps it in its read model; an HTTP consumer's cursor row carries it too, for the SQL
-- of /next and acks, which reads that row first.
ALTER TABLE http_consumers ADD COLUMN message_kind text NOT NULL DEFAULT 'record',
  ADD COLUMN event_actions text[], ADD COLUMN event_changed_fields text[];
ALTER TABLE consumer_cursors ADD COLUMN message_kind text NOT NULL DEFAULT 'record';
ALTER TABLE nats_consumers ADD COLUMN message_kind text NOT NULL DEFAULT 'record',
  ADD COLUMN event_actions text[], ADD COLUMN event_changed_fields text[];
ALTER TABLE webhook_consumers ADD COLUMN message_kind text NOT NULL DEFAULT 'record',
  ADD COLUMN event_actions text[], ADD COLUMN event_changed_fields text[];
ALTER TABLE postgres_consumers ADD COLUMN message_kind text NOT NULL DEFAULT 'record',
  ADD COLUMN event_actions text[], ADD COLUMN event_changed_fields text[];
ALTER TABLE consumer_cursors ADD COLUMN event_actions text[], ADD COLUMN event_changed_fields text[];
