-- Mutation runs and their items' outcomes: the audit trail of writes sent upstream
-- (projection of MutationRequested / MutationApplied / MutationFailed, src/projections/mutations.ts).
CREATE TABLE mutation_runs (
  id uuid PRIMARY KEY,
  account_id uuid NOT NULL,
  sync_id uuid NOT NULL,
  collection_id text NOT NULL,
  kind text NOT NULL,
  idempotency_key text,
  -- sha-256 of the canonical request: a key reused for another request is refused
  request_hash text NOT NULL,
  -- the API token that asked
  requested_by text NOT NULL,
  item_count integer NOT NULL,
  applied_count integer NOT NULL DEFAULT 0,
  failed_count integer NOT NULL DEFAULT 0,
  attempts integer NOT NULL DEFAULT 1,
  -- running | completed
  status text NOT NULL,
  created_at timestamptz(3) NOT NULL,
  updated_at timestamptz(3) NOT NULL,
  completed_at timestamptz(3)
);
CREATE INDEX mutation_runs_sync_idx ON mutation_runs(sync_id, created_at, id);
CREATE UNIQUE INDEX mutation_runs_idempotency_key_idx ON mutation_runs(account_id, sync_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE mutation_items (
  run_id uuid NOT NULL REFERENCES mutation_runs(id) ON DELETE CASCADE,
  item_index integer NOT NULL,
  upstream_id text,
  -- names of the fields the item set (never their values)
  fields text[] NOT NULL,
  -- requested | applied | failed
  status text NOT NULL,
  -- the resulting record version (DESIGN.md §2 shape) once applied
  record jsonb,
  -- {code, message, upstream_status} once failed
  error jsonb,
  settled_at timestamptz(3),
  PRIMARY KEY (run_id, item_index)
);
