CREATE TABLE syncs (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  stream_id uuid NOT NULL,
  provider text NOT NULL,
  name text NOT NULL,
  collection_ids text[] NOT NULL,
  rate_limit jsonb NOT NULL,
  credential_id uuid NOT NULL,
  metadata jsonb NOT NULL,
  poll_interval_ms integer NOT NULL,
  paused boolean NOT NULL DEFAULT false,
  -- bumped by every change a running worker must restart for (update, resume, resync)
  generation integer NOT NULL DEFAULT 0,
  last_error jsonb,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL
);
CREATE INDEX syncs_account_id_idx ON syncs(account_id);
CREATE INDEX syncs_stream_id_idx ON syncs(stream_id);
CREATE INDEX syncs_credential_id_idx ON syncs(credential_id);

CREATE TABLE sync_collections (
  sync_id uuid NOT NULL REFERENCES syncs(id) ON DELETE CASCADE,
  collection_id text NOT NULL,
  backfill_done boolean NOT NULL DEFAULT false,
  backfill_cursor text,
  changes_cursor text,
  backfill_pages integer NOT NULL DEFAULT 0,
  backfill_records integer NOT NULL DEFAULT 0,
  total_count integer,
  backfill_started_at timestamptz(3),
  backfill_completed_at timestamptz(3),
  changes_fetched integer NOT NULL DEFAULT 0,
  last_change_at timestamptz(3),
  PRIMARY KEY (sync_id, collection_id)
);

-- updated_idx is assigned here, under this row's lock, in the appending transaction: the lock is
-- held until commit, so positions are handed out in commit order (DESIGN.md §2 invariant).
CREATE TABLE stream_heads (
  stream_id uuid PRIMARY KEY,
  last_idx bigint NOT NULL
);

CREATE TABLE records (
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  upstream_id text NOT NULL,
  stream_id uuid NOT NULL,
  updated_idx bigint NOT NULL,
  data jsonb NOT NULL,
  data_hash text NOT NULL,
  deleted boolean NOT NULL,
  upstream_created_at timestamptz(3),
  upstream_updated_at timestamptz(3),
  PRIMARY KEY (sync_id, collection_id, upstream_id)
);
CREATE UNIQUE INDEX records_stream_idx ON records(stream_id, updated_idx);
-- (sync_id, updated_idx), not (sync_id, collection_id, ...): with the collection in it, the planner
-- could take it over the primary key for single-record lookups and scan a whole collection.
CREATE INDEX records_sync_idx ON records(sync_id, updated_idx);

-- Operational telemetry of the worker running a sync (requests, rate-limit waits, last poll).
-- Not a projection: it is not rebuilt from the log.
CREATE TABLE sync_runtime (
  sync_id uuid PRIMARY KEY,
  requests_made bigint NOT NULL DEFAULT 0,
  rate_limit_wait_ms bigint NOT NULL DEFAULT 0,
  retries bigint NOT NULL DEFAULT 0,
  last_poll_at timestamptz(3),
  updated_at timestamptz(3) NOT NULL
);
