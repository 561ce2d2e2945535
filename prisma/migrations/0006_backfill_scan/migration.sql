-- Scratch state of a running backfill (not a projection: written by the sync runner, not rebuilt
-- from the log). When a backfill completes, the collection's records it did not see, and that
-- nothing changed since it began, are gone upstream: they get tombstones (a resync after deletes
-- whose events are no longer in the provider's feed).
CREATE TABLE backfill_scans (
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  -- the run (sync generation) that owns the scan: another run's completion leaves it alone
  generation integer NOT NULL,
  -- the stream's last position when the backfill began
  started_idx bigint NOT NULL,
  PRIMARY KEY (sync_id, collection_id)
);

CREATE TABLE backfill_seen (
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  PRIMARY KEY (sync_id, collection_id, upstream_id)
);
