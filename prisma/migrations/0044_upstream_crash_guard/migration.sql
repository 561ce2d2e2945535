-- Issue 21, finding 2: a sync whose step kills the process is not restarted blindly.
-- One row per sync whose run has started and not yet ended its first step in each collection
-- (src/sync/crash-guard.ts): written once when a run starts, deleted once every collection of
-- the run ended its first step (in success or in a handled failure) or the run stopped. A row
-- left by another boot means that boot died with the step in flight: the next start counts it,
-- unless the sync moved on since the row was written (its checkpoints differ: not a crash loop).
-- Never written per page: the ingest hot path is untouched. Runtime state, not a projection.
CREATE TABLE sync_crash_markers (
  sync_id uuid PRIMARY KEY,
  -- the sync's generation when the run started: a resume or an update starts a fresh count
  generation integer NOT NULL,
  -- the process (boot) whose run wrote the row
  boot_id uuid NOT NULL,
  -- the sync's checkpoints (per collection: pages, records, changes, done) when the run started
  position text NOT NULL,
  -- starts in a row, at the same position, whose first step the process died during
  crashes integer NOT NULL DEFAULT 0,
  started_at timestamptz NOT NULL DEFAULT clock_timestamp()
);
