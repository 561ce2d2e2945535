-- Issue 27, item 8: the sync status shows, per collection, the upstream requests it sent and how
-- many of them were spent on delete detection (src/sync/providers/request-purpose.ts), so a
-- quiet sync that still makes requests says why. Flushed by the sync runner with sync_runtime
-- (additive deltas, nothing written while idle). Operational telemetry like sync_runtime: not a
-- projection, not rebuilt from the log.
CREATE TABLE sync_collection_runtime (
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  -- every attempt sent, retries included
  requests_made bigint NOT NULL DEFAULT 0,
  delete_detection_requests bigint NOT NULL DEFAULT 0,
  updated_at timestamptz(3) NOT NULL,
  PRIMARY KEY (sync_id, collection_id)
);
