-- Issue 23 (webhook throughput): instead of one kept window per window (`pending_window`, written
-- and awaited before each window's first attempt), a webhook consumer's runner keeps *plans*: the
-- records of several windows as read past a position, each record as its JSON text
-- (`syncline_record_json`), read and kept by one statement, ahead of their delivery. A restart sends
-- the kept records past its position again, in the same batches (same records, same versions, same
-- `webhook-id`). A plan goes once the position passed its last record, and with a reset.
CREATE TABLE sink_plans (
  consumer_id uuid NOT NULL REFERENCES sink_runtime (consumer_id) ON DELETE CASCADE,
  -- the position the plan was read past; its records follow it in stream order
  after_idx bigint NOT NULL,
  -- its last record's position
  last_idx bigint NOT NULL,
  -- each record's position, in stream order
  updated_idxs bigint[] NOT NULL,
  -- the records' JSON texts (DESIGN.md §2) in the same order, one a line: JSON text holds no raw
  -- line break (every string escapes it); a restart reads each record's key from its text
  records text NOT NULL,
  PRIMARY KEY (consumer_id, after_idx)
);
-- A window kept by the previous code becomes a plan of its own: sent again as it was (its JSON
-- built here: the same record, keys in jsonb's order).
INSERT INTO sink_plans (consumer_id, after_idx, last_idx, updated_idxs, records)
SELECT rt.consumer_id, (rt.pending_window->>'after')::bigint, max((e.r->>'updated_idx')::bigint), array_agg((e.r->>'updated_idx')::bigint ORDER BY e.n),
       string_agg(jsonb_build_object(
         'sync_id', e.r->'sync_id', 'collection_id', e.r->'collection_id', 'upstream_id', e.r->'upstream_id',
         'updated_idx', (e.r->>'updated_idx')::bigint,
         'upstream_created_at', CASE WHEN e.r->>'upstream_created_at' IS NULL THEN NULL
           ELSE to_char((e.r->>'upstream_created_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
         'upstream_updated_at', CASE WHEN e.r->>'upstream_updated_at' IS NULL THEN NULL
           ELSE to_char((e.r->>'upstream_updated_at')::timestamptz AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') END,
         'deleted', e.r->'deleted', 'data', e.r->'data')::text, E'\n' ORDER BY e.n)
FROM sink_runtime rt, jsonb_array_elements(rt.pending_window->'rows') WITH ORDINALITY AS e(r, n)
WHERE rt.pending_window IS NOT NULL AND (rt.pending_window->>'after')::bigint = rt.position
GROUP BY rt.consumer_id, rt.pending_window->>'after';

ALTER TABLE sink_runtime DROP COLUMN pending_window;
